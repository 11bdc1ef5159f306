-- An index of the schema before Alembic (commit cb5cc80), written by tests/data/make_index_v0.py
BEGIN TRANSACTION;
CREATE TABLE archive_files (
	id INTEGER NOT NULL, 
	kind VARCHAR(8) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	uploaded_to TEXT, 
	uploaded_at DATETIME, 
	deleted_locally BOOLEAN NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
INSERT INTO "archive_files" VALUES(1,'warc','feedarchiver-20261120080000-00000.warc.gz',4000,'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd','2026-12-07 22:57:38.959155',NULL,NULL,0,NULL);
CREATE TABLE captures (
	id INTEGER NOT NULL, 
	post_id INTEGER, 
	url TEXT NOT NULL, 
	warc_file TEXT NOT NULL, 
	"offset" INTEGER NOT NULL, 
	length INTEGER NOT NULL, 
	record_id VARCHAR(80) NOT NULL, 
	captured_at VARCHAR(40) NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(post_id) REFERENCES posts (id), 
	UNIQUE (record_id)
);
INSERT INTO "captures" VALUES(1,1,'http://cyol.example/1','feedarchiver-20261120080000-00000.warc.gz',0,900,'<urn:uuid:00000000-0000-0000-0000-000000000001>','2026-11-20T08:00:00Z');
INSERT INTO "captures" VALUES(2,2,'http://kuaixun.example/2','feedarchiver-20261120080000-00000.warc.gz',1000,900,'<urn:uuid:00000000-0000-0000-0000-000000000002>','2026-11-20T08:00:00Z');
INSERT INTO "captures" VALUES(3,3,'http://qutoutiao.example/3','feedarchiver-20261120080000-00000.warc.gz',2000,900,'<urn:uuid:00000000-0000-0000-0000-000000000003>','2026-11-20T08:00:00Z');
INSERT INTO "captures" VALUES(4,4,'http://kuaixun.example/4','feedarchiver-20261120080000-00000.warc.gz',3000,900,'<urn:uuid:00000000-0000-0000-0000-000000000004>','2026-11-20T08:00:00Z');
CREATE TABLE media (
	id INTEGER NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	path TEXT NOT NULL, 
	media_type VARCHAR(64) NOT NULL, 
	width INTEGER NOT NULL, 
	height INTEGER NOT NULL, 
	size INTEGER NOT NULL, 
	first_url TEXT NOT NULL, 
	first_seen DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (sha256)
);
INSERT INTO "media" VALUES(1,'abababababababababababababababababababababababababababababababab','ab/ab/abababababababababababababababababababababababababababababababab.png','image/png',10,10,67,'http://img.example/a.png','2026-12-07 22:57:38.903103');
CREATE TABLE payload_digests (
	id INTEGER NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	url TEXT NOT NULL, 
	captured_at VARCHAR(40) NOT NULL, 
	record_id VARCHAR(80) NOT NULL, 
	warc_file TEXT NOT NULL, 
	"offset" BIGINT NOT NULL, 
	length BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (digest)
);
INSERT INTO "payload_digests" VALUES(1,'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA','http://cyol.example/1','2026-11-20T08:00:00Z','<urn:uuid:r1>','feedarchiver-20261120080000-00000.warc.gz',0,900);
CREATE TABLE post_bands (
	bucket BIGINT NOT NULL, 
	post_id INTEGER NOT NULL, 
	PRIMARY KEY (bucket, post_id), 
	FOREIGN KEY(post_id) REFERENCES posts (id)
)
 WITHOUT ROWID

;
INSERT INTO "post_bands" VALUES(-9201150784253917834,3);
INSERT INTO "post_bands" VALUES(-9065563450012079670,3);
INSERT INTO "post_bands" VALUES(-9044679853241779243,1);
INSERT INTO "post_bands" VALUES(-9044679853241779243,2);
INSERT INTO "post_bands" VALUES(-8730114841954209873,2);
INSERT INTO "post_bands" VALUES(-8724334869105862045,3);
INSERT INTO "post_bands" VALUES(-8642003008940677812,1);
INSERT INTO "post_bands" VALUES(-8279376930408851033,3);
INSERT INTO "post_bands" VALUES(-8036577402894043768,1);
INSERT INTO "post_bands" VALUES(-7867844335765785985,2);
INSERT INTO "post_bands" VALUES(-7760692375314413131,3);
INSERT INTO "post_bands" VALUES(-7701361938823109515,1);
INSERT INTO "post_bands" VALUES(-7701361938823109515,2);
INSERT INTO "post_bands" VALUES(-7333423440002265936,1);
INSERT INTO "post_bands" VALUES(-7326742942143682099,3);
INSERT INTO "post_bands" VALUES(-7209764098360088622,2);
INSERT INTO "post_bands" VALUES(-7184385090895992131,2);
INSERT INTO "post_bands" VALUES(-7161234250270329174,2);
INSERT INTO "post_bands" VALUES(-7108391850252949834,2);
INSERT INTO "post_bands" VALUES(-6739335552231081938,2);
INSERT INTO "post_bands" VALUES(-6662325867742342198,3);
INSERT INTO "post_bands" VALUES(-6591681231800224836,2);
INSERT INTO "post_bands" VALUES(-6455993659746070210,1);
INSERT INTO "post_bands" VALUES(-6214761379845484689,1);
INSERT INTO "post_bands" VALUES(-6182638001227658848,1);
INSERT INTO "post_bands" VALUES(-6011324947956666072,1);
INSERT INTO "post_bands" VALUES(-5818719855542756701,1);
INSERT INTO "post_bands" VALUES(-5452958620913623375,2);
INSERT INTO "post_bands" VALUES(-5206203939816670214,2);
INSERT INTO "post_bands" VALUES(-5189008850406852754,1);
INSERT INTO "post_bands" VALUES(-5088829630392874484,1);
INSERT INTO "post_bands" VALUES(-5088829630392874484,2);
INSERT INTO "post_bands" VALUES(-4890489567422619290,1);
INSERT INTO "post_bands" VALUES(-4890489567422619290,2);
INSERT INTO "post_bands" VALUES(-4813588247876937558,1);
INSERT INTO "post_bands" VALUES(-4364001703668872048,1);
INSERT INTO "post_bands" VALUES(-4364001703668872048,2);
INSERT INTO "post_bands" VALUES(-4169502114603508758,1);
INSERT INTO "post_bands" VALUES(-4101016062493296873,2);
INSERT INTO "post_bands" VALUES(-4090947445252908354,3);
INSERT INTO "post_bands" VALUES(-4080018955904706973,3);
INSERT INTO "post_bands" VALUES(-3987793403099351230,2);
INSERT INTO "post_bands" VALUES(-3775145286140628605,2);
INSERT INTO "post_bands" VALUES(-3694647372991920669,1);
INSERT INTO "post_bands" VALUES(-3473620895499657892,3);
INSERT INTO "post_bands" VALUES(-3070257581947481802,2);
INSERT INTO "post_bands" VALUES(-2546773802600045765,2);
INSERT INTO "post_bands" VALUES(-2495918353400140970,3);
INSERT INTO "post_bands" VALUES(-2378631297667510300,3);
INSERT INTO "post_bands" VALUES(-2209262484692202259,1);
INSERT INTO "post_bands" VALUES(-2209262484692202259,2);
INSERT INTO "post_bands" VALUES(-1710712008363279952,1);
INSERT INTO "post_bands" VALUES(-1532852999461662105,2);
INSERT INTO "post_bands" VALUES(-1420564942208352820,2);
INSERT INTO "post_bands" VALUES(-1389967522929882766,3);
INSERT INTO "post_bands" VALUES(-1386933107086789881,1);
INSERT INTO "post_bands" VALUES(-1386933107086789881,2);
INSERT INTO "post_bands" VALUES(-1248676923745626228,2);
INSERT INTO "post_bands" VALUES(-956394414270696780,3);
INSERT INTO "post_bands" VALUES(-922437348206638267,3);
INSERT INTO "post_bands" VALUES(-794194583354052844,3);
INSERT INTO "post_bands" VALUES(-575694188597339431,1);
INSERT INTO "post_bands" VALUES(-544842780676875355,2);
INSERT INTO "post_bands" VALUES(-508133627332322171,3);
INSERT INTO "post_bands" VALUES(-310233710586562744,3);
INSERT INTO "post_bands" VALUES(-206668846582771799,2);
INSERT INTO "post_bands" VALUES(-134762554819967545,3);
INSERT INTO "post_bands" VALUES(-118059778639502912,3);
INSERT INTO "post_bands" VALUES(58472599944925456,3);
INSERT INTO "post_bands" VALUES(81838325010329193,3);
INSERT INTO "post_bands" VALUES(112904142896352486,1);
INSERT INTO "post_bands" VALUES(138084370129242406,3);
INSERT INTO "post_bands" VALUES(289005673554837434,3);
INSERT INTO "post_bands" VALUES(583846819249846915,3);
INSERT INTO "post_bands" VALUES(692939141663720474,1);
INSERT INTO "post_bands" VALUES(754849369003800993,2);
INSERT INTO "post_bands" VALUES(874196136469090976,2);
INSERT INTO "post_bands" VALUES(899832712572215593,2);
INSERT INTO "post_bands" VALUES(966537613726133106,3);
INSERT INTO "post_bands" VALUES(1310054075303566480,1);
INSERT INTO "post_bands" VALUES(1404944799448906803,3);
INSERT INTO "post_bands" VALUES(1544258655195036386,2);
INSERT INTO "post_bands" VALUES(1653426072125715587,1);
INSERT INTO "post_bands" VALUES(1657605863586314661,2);
INSERT INTO "post_bands" VALUES(1936154268717799227,3);
INSERT INTO "post_bands" VALUES(2178688862898947963,3);
INSERT INTO "post_bands" VALUES(2254444774175980317,1);
INSERT INTO "post_bands" VALUES(2272821733159798247,1);
INSERT INTO "post_bands" VALUES(2288854277177468021,1);
INSERT INTO "post_bands" VALUES(2309066528929752611,1);
INSERT INTO "post_bands" VALUES(2424931522926746777,2);
INSERT INTO "post_bands" VALUES(2495155185831019869,3);
INSERT INTO "post_bands" VALUES(2831816485737168209,3);
INSERT INTO "post_bands" VALUES(2911778069541084413,3);
INSERT INTO "post_bands" VALUES(2935030490100955597,2);
INSERT INTO "post_bands" VALUES(2980052734332401453,2);
INSERT INTO "post_bands" VALUES(3303283054192698891,1);
INSERT INTO "post_bands" VALUES(3527680179776954130,3);
INSERT INTO "post_bands" VALUES(3561324030031780771,2);
INSERT INTO "post_bands" VALUES(3602705324556798120,1);
INSERT INTO "post_bands" VALUES(3804379112727753313,3);
INSERT INTO "post_bands" VALUES(3867352387248936409,3);
INSERT INTO "post_bands" VALUES(3940313842613454614,1);
INSERT INTO "post_bands" VALUES(3977900623877232468,3);
INSERT INTO "post_bands" VALUES(3989276270473193529,1);
INSERT INTO "post_bands" VALUES(4224412531068565051,1);
INSERT INTO "post_bands" VALUES(4454282079526598228,1);
INSERT INTO "post_bands" VALUES(4462819999952682947,3);
INSERT INTO "post_bands" VALUES(4595806839677435336,1);
INSERT INTO "post_bands" VALUES(4595806839677435336,2);
INSERT INTO "post_bands" VALUES(5061541237127628709,1);
INSERT INTO "post_bands" VALUES(5133171032757481932,1);
INSERT INTO "post_bands" VALUES(5133171032757481932,2);
INSERT INTO "post_bands" VALUES(5291306659672989976,2);
INSERT INTO "post_bands" VALUES(5554829986921984992,1);
INSERT INTO "post_bands" VALUES(6143731807202146651,3);
INSERT INTO "post_bands" VALUES(6146858643904616343,2);
INSERT INTO "post_bands" VALUES(6286958611286340675,3);
INSERT INTO "post_bands" VALUES(6781391615324891940,3);
INSERT INTO "post_bands" VALUES(6809100248971220547,1);
INSERT INTO "post_bands" VALUES(7102803203206932950,3);
INSERT INTO "post_bands" VALUES(7591945702134830837,1);
INSERT INTO "post_bands" VALUES(8173394724138234671,1);
INSERT INTO "post_bands" VALUES(8173394724138234671,2);
INSERT INTO "post_bands" VALUES(8637805383690405107,2);
INSERT INTO "post_bands" VALUES(9041921960570662271,3);
CREATE TABLE post_media (
	id INTEGER NOT NULL, 
	post_id INTEGER NOT NULL, 
	media_id INTEGER NOT NULL, 
	url TEXT NOT NULL, 
	position INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (post_id, media_id), 
	FOREIGN KEY(post_id) REFERENCES posts (id), 
	FOREIGN KEY(media_id) REFERENCES media (id)
);
INSERT INTO "post_media" VALUES(1,1,1,'http://img.example/a.png',0);
CREATE TABLE post_signatures (
	post_id INTEGER NOT NULL, 
	shingles INTEGER NOT NULL, 
	signature BLOB NOT NULL, 
	PRIMARY KEY (post_id), 
	FOREIGN KEY(post_id) REFERENCES posts (id)
);
INSERT INTO "post_signatures" VALUES(1,528,X'FD7589004FC2E70094A27D007F324D0064FEC500883AE700B6EA350077D3BB005AB771006A1A2E00626D1900DF28BA0039903300FF8F3C00C5002B00C27C7A00F0046E018F258100CC0A3E0040AE9400C67DC600EE996700CFBB630015E3BF005C414A018878C8007C80E200B53B0600E627B600FFF2B2003BF8B700B30D030126C9AE002E1DFF00A46A1100AB99080063948C0037A2AD00B1C9DF00AABD1200B0B90A0125264D00E10F340079326C00FEFD5501BB610C00B622F101DDCAEA00E490B10216B12C0021E9340154723000E2DF1C0043A20300A1DF27009A565000003339004B07090034027300B47B3601E8A2370048550500E69D5600B71134014DC121007FFA5600B3FC4800C6490400BFDCB200DCB41500BA115600C85B2C0016C86800784D230078461800752A290126EE93008D581D01172036004BEC6600D47137011BDFAE00A1A481005E92010002DA2B0065EBD500B9C7030191DFC300EE62EA00B31550009A9DF2018EE16200EFA45000F4A16C0024F8DB0092637A00ECDBE000CC0D4700018D0F00F7390D0066CC2200FE0E350039171500B3E76001C5331900FAA35500253D1600B2B11E00C1B21C008FADB2002C6F8E00755C990087C8A900090027003ADF1000D50F50008E216600B4653100A7811700EECF21006B227E0051E6C7013D933A01D1817100960C8600C1B9F000D8D2460015865600');
INSERT INTO "post_signatures" VALUES(2,688,X'80A87000D264090018E54C003DEE5F0093918800883AE700B6EA350077D3BB005AB771006A1A2E00626D1900DF28BA0039903300FF8F3C00C5002B00C27C7A00CD590100573DA800CC0A3E0040AE9400C5C8240010EE2F00CFBB63004F334A00395395008878C8007C80E200B53B0600E627B6003B7D81003BF8B700A19341008FEA72002E1DFF00A46A1100AB99080063948C0037A2AD00AA530C00AABD1200C22C6D0025264D00E10F340079326C006EBC21008D9E08004D32000064BC5B003C41400116B12C001687FB0054723000E2DF1C00DAB4B201A1DF270057502100764B07004B070900FEE61300BDAB30007FE42E0048550500E69D560023F3D5004DC121007FFA5600587D1E00C64904004DC80F00DCB41500BA115600C85B2C0016C8680048480400784618009B52E800E5F15E008D581D01172036004BEC66000D7A3C01A6C60500A1A481005E9201001A96020065EBD500B9C7030191DFC300A8170700B315500060B15F008EE16200EFA45000F4A16C003536700092637A00ECDBE000CC0D4700018D0F00F7390D0066CC2200FE0E350039171500EA8FC700C5331900FAA355004C551500B2B11E00C1B21C008FADB2002C6F8E00755C990087C8A900090027003ADF1000D50F50008E216600F01CB700A7811700EECF21006B227E0051E6C7012D530D01E65C2300BF7A8A0020368E00A6C45700357E0300');
INSERT INTO "post_signatures" VALUES(3,450,X'F13D0700F977980049864200CD062601C95C7B01E50D0D00AD7A110063665400BD08B700BE02450081CE00004066470011FF7400D90C430097FF0900ACC92300E996A80064F859004FE9FD009BCF7F014BBF5800879B2E006C823000864FDF00228EB70177AB1901BB0E48006D269600E13A8E002B1A3B00831F0B00115B620146104500F2DEFC00798270009A3D2300E5D72501D3B0B000E81A0300E0FE27008BA16500C2C68C00E18F1C0056A0E00047D1D700EA7D4E008F64A2002F65AC01B87E3D00B99B7400F68A0A00A8605100080C1F015EE61E00A5560B00BE271C007AFCC30046DE4201FA9EF8005BCDA900B266B300ACDFA3016EF82702E1C81A0073DCA10141605500CDA187002968050000AC46012A7F1C00D7977D0041B337005FDE590050656500BE6C2500C9A6210189A028009E4CBD00BB690C0011433E006C2A3200E56A2F0273160000DC744C003298230002B9F600A6828800C5763000EE511300373D2A00CD710700C9672F000113A700974FD00020994000115656009E583E0031490F0035031200E188C1018651160040F11F01351A0B01ABAC2E00027E00002D5E1E00EE241900432C600051727800827D410069917800984F0E00098D7500C158E200CB3F0200ED0B62007E290100650A660047597701A0DF2E02E5BA4D00E3971300E6FA5A003C255800613A46008EFFC3002976B2009E800C00');
CREATE TABLE post_urls (
	id INTEGER NOT NULL, 
	post_id INTEGER NOT NULL, 
	url TEXT NOT NULL, 
	source VARCHAR(64) NOT NULL, 
	role VARCHAR(16) NOT NULL, 
	feed_entry_id TEXT, 
	first_seen DATETIME NOT NULL, 
	last_seen DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (url, source), 
	FOREIGN KEY(post_id) REFERENCES posts (id)
);
INSERT INTO "post_urls" VALUES(1,1,'http://cyol.example/1','cyol','original',NULL,'2026-12-07 22:57:38.903103','2026-12-07 22:57:38.903103');
INSERT INTO "post_urls" VALUES(2,2,'http://kuaixun.example/2','kuaixun','copy',NULL,'2026-12-07 22:57:38.924210','2026-12-07 22:57:38.924210');
INSERT INTO "post_urls" VALUES(3,3,'http://qutoutiao.example/3','qutoutiao','copy',NULL,'2026-12-07 22:57:38.937133','2026-12-07 22:57:38.937133');
INSERT INTO "post_urls" VALUES(4,4,'http://kuaixun.example/4','kuaixun','copy',NULL,'2026-12-07 22:57:38.951547','2026-12-07 22:57:38.951547');
CREATE TABLE posts (
	id INTEGER NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	source VARCHAR(64) NOT NULL, 
	url TEXT NOT NULL, 
	original_url TEXT, 
	has_original BOOLEAN NOT NULL, 
	title TEXT NOT NULL, 
	author TEXT, 
	source_name TEXT, 
	published DATETIME, 
	updated DATETIME NOT NULL, 
	categories TEXT NOT NULL, 
	body_html TEXT NOT NULL, 
	text TEXT NOT NULL, 
	summary TEXT, 
	lead_image TEXT, 
	first_seen DATETIME NOT NULL, 
	story_id INTEGER, 
	revision BIGINT DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	UNIQUE (content_hash), 
	FOREIGN KEY(story_id) REFERENCES stories (id)
);
INSERT INTO "posts" VALUES(1,'3a2e3e482ac584f467f6','3a2e3e482ac584f467f6849978bff17f805dc4e747a45e161a524f2fcd2c1dad','cyol','http://cyol.example/1','http://cyol.example/1',1,'中青报·中青网记者 李晓晴 通讯员 彭思远',NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 08:00:00.000000','["news"]','<p>中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南省益阳市赫山区的晚稻刚刚收割完毕，油菜播种接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校“无人机植保班”的学生们正两人一组调试设备：一人核对航线，一人检查药箱和喷头。几分钟后，6架植保无人机依次升空，按照规划好的航线完成了120亩田块的播种作业。
学生在田间调试植保无人机。受访者供图
“以前一说到职校学农，大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。”专业负责人刘建军介绍，学校从2023年起与本地农机合作社共建实训基地，把课堂搬到田间地头，学生在校期间要累计完成不少于200小时的飞行作业。
记者了解到，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别和遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟随合作社机手下田，并按作业面积计算实训报酬。
18岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定，“爸妈再也不说我读职校没出息了”。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。</p>','中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南省益阳市赫山区的晚稻刚刚收割完毕，油菜播种接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校“无人机植保班”的学生们正两人一组调试设备：一人核对航线，一人检查药箱和喷头。几分钟后，6架植保无人机依次升空，按照规划好的航线完成了120亩田块的播种作业。
学生在田间调试植保无人机。受访者供图
“以前一说到职校学农，大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。”专业负责人刘建军介绍，学校从2023年起与本地农机合作社共建实训基地，把课堂搬到田间地头，学生在校期间要累计完成不少于200小时的飞行作业。
记者了解到，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别和遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟随合作社机手下田，并按作业面积计算实训报酬。
18岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定，“爸妈再也不说我读职校没出息了”。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。',NULL,NULL,'2026-12-07 22:57:38.903103',1,1);
INSERT INTO "posts" VALUES(2,'65a92117b9266138705a','65a92117b9266138705acbfbd8e3c6ef04758f15037d098eae85b4b6850733bb','kuaixun','http://kuaixun.example/2','http://cyol.example/1',0,'快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点',NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 08:00:00.000000','["news"]','<p>快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南益阳赫山区的晚稻刚刚收割完，油菜播种又接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校"无人机植保班"的学生们正两人一组调试设备:一人核对航线,一人检查药箱和喷头。几分钟后,6架植保无人机依次升空,按照规划好的航线完成了120亩田块的播种作业。"以前一说到职校学农,大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。"专业负责人刘建军介绍,学校从2023年起与本地农机合作社共建实训基地,把课堂搬到田间地头,学生在校期间要累计完成不少于200小时的飞行作业。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
学生在田间调试植保无人机。
据了解，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别、遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟着合作社机手下田，并按作业面积计算实训报酬。
１８岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。
快讯网注意到，近年来多地职业院校陆续开设无人机应用技术相关专业，农业植保、电力巡检和应急救援等领域对持证飞手的需求持续增长。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：中国青年报</p>','快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南益阳赫山区的晚稻刚刚收割完，油菜播种又接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校"无人机植保班"的学生们正两人一组调试设备:一人核对航线,一人检查药箱和喷头。几分钟后,6架植保无人机依次升空,按照规划好的航线完成了120亩田块的播种作业。"以前一说到职校学农,大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。"专业负责人刘建军介绍,学校从2023年起与本地农机合作社共建实训基地,把课堂搬到田间地头,学生在校期间要累计完成不少于200小时的飞行作业。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
学生在田间调试植保无人机。
据了解，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别、遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟着合作社机手下田，并按作业面积计算实训报酬。
１８岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。
快讯网注意到，近年来多地职业院校陆续开设无人机应用技术相关专业，农业植保、电力巡检和应急救援等领域对持证飞手的需求持续增长。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：中国青年报',NULL,NULL,'2026-12-07 22:57:38.924210',1,2);
INSERT INTO "posts" VALUES(3,'4051266518e0adbe873e','4051266518e0adbe873ed231caba2536b1ec2e0cc7b6f8846ec06a75d4d394fe','qutoutiao','http://qutoutiao.example/3',NULL,0,'记者11月20日从中国科学院物理研究所获悉，该所联合多家企业',NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 08:00:00.000000','["news"]','<p>记者11月20日从中国科学院物理研究所获悉，该所联合多家企业研制出一种新型层状氧化物钠离子电池，在零下30摄氏度的环境中仍能保持92%以上的可用容量，有望缓解北方地区电动两轮车和储能设备“冬季掉电”的难题。
与锂离子电池相比，钠离子电池的原材料储量丰富、成本较低，但能量密度和低温性能一直是其走向大规模应用的短板。研究团队负责人介绍，他们在正极材料中引入微量铜、钛元素，稳定了材料在充放电过程中的晶体结构，同时开发了一种低凝固点的电解液配方，使钠离子在低温下仍能较快迁移。
第三方检测结果显示，该电池单体能量密度达到每公斤165瓦时，常温下循环3000次后容量保持率为88%。在零下30摄氏度放电测试中，其容量保持率为92.6%，明显高于目前市场上同类产品的水平。
“低温性能好，意味着在东北、西北等地区可以少用甚至不用电池加热系统，整体成本还能进一步下降。”参与研发的工程师表示，团队已在河北张家口建设中试线，首批产品将用于通信基站备用电源和电动自行车。
业内专家指出，钠离子电池与锂离子电池并非简单的替代关系，而是在不同场景中形成互补。随着产业链逐步成熟，钠离子电池在储能、低速电动车等对成本敏感的领域有较大发展空间。
来源：科技日报</p>','记者11月20日从中国科学院物理研究所获悉，该所联合多家企业研制出一种新型层状氧化物钠离子电池，在零下30摄氏度的环境中仍能保持92%以上的可用容量，有望缓解北方地区电动两轮车和储能设备“冬季掉电”的难题。
与锂离子电池相比，钠离子电池的原材料储量丰富、成本较低，但能量密度和低温性能一直是其走向大规模应用的短板。研究团队负责人介绍，他们在正极材料中引入微量铜、钛元素，稳定了材料在充放电过程中的晶体结构，同时开发了一种低凝固点的电解液配方，使钠离子在低温下仍能较快迁移。
第三方检测结果显示，该电池单体能量密度达到每公斤165瓦时，常温下循环3000次后容量保持率为88%。在零下30摄氏度放电测试中，其容量保持率为92.6%，明显高于目前市场上同类产品的水平。
“低温性能好，意味着在东北、西北等地区可以少用甚至不用电池加热系统，整体成本还能进一步下降。”参与研发的工程师表示，团队已在河北张家口建设中试线，首批产品将用于通信基站备用电源和电动自行车。
业内专家指出，钠离子电池与锂离子电池并非简单的替代关系，而是在不同场景中形成互补。随着产业链逐步成熟，钠离子电池在储能、低速电动车等对成本敏感的领域有较大发展空间。
来源：科技日报',NULL,NULL,'2026-12-07 22:57:38.937133',2,3);
INSERT INTO "posts" VALUES(4,'447c26bbb864c11e9098','447c26bbb864c11e9098c7a00f08ea96723e6d42e449be4ba674cc0181f4f8b2','kuaixun','http://kuaixun.example/4',NULL,0,'快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点',NULL,NULL,'2026-11-20 08:00:00.000000','2026-11-20 08:00:00.000000','["news"]','<p>快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
11月21日夜间起，江城市迎来今冬首场降雪，城区积雪深度2至4厘米。市气象台22日6时发布道路结冰黄色预警，提醒市民尽量减少驾车出行，必须出行时注意减速慢行。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
环卫工人在桥面撒盐除冰。
环卫部门已出动除雪车辆120台次，对主干道和桥梁进行撒盐除冰。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：江城晚报</p>','快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
11月21日夜间起，江城市迎来今冬首场降雪，城区积雪深度2至4厘米。市气象台22日6时发布道路结冰黄色预警，提醒市民尽量减少驾车出行，必须出行时注意减速慢行。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
环卫工人在桥面撒盐除冰。
环卫部门已出动除雪车辆120台次，对主干道和桥梁进行撒盐除冰。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：江城晚报',NULL,NULL,'2026-12-07 22:57:38.951547',NULL,4);
CREATE TABLE revisions (
	id INTEGER NOT NULL, 
	value BIGINT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "revisions" VALUES(1,4);
CREATE TABLE site_lines (
	site VARCHAR(255) NOT NULL, 
	line_key BIGINT NOT NULL, 
	story_id INTEGER NOT NULL, 
	stories INTEGER NOT NULL, 
	PRIMARY KEY (site, line_key)
)
 WITHOUT ROWID

;
INSERT INTO "site_lines" VALUES('cyol.example',-6129272046017140873,1,1);
INSERT INTO "site_lines" VALUES('cyol.example',-3121461450184327129,1,1);
INSERT INTO "site_lines" VALUES('cyol.example',-1621177577862213150,1,1);
INSERT INTO "site_lines" VALUES('cyol.example',-703714506908456228,1,1);
INSERT INTO "site_lines" VALUES('cyol.example',2388549754357986266,1,1);
INSERT INTO "site_lines" VALUES('cyol.example',5946258204793471581,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',-4790160174343489761,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',-3678547231281113588,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',-3174037016765648630,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',-1621177577862213150,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',-703714506908456228,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',3500407312817031522,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',4690123667713062467,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',7658326840611396534,1,1);
INSERT INTO "site_lines" VALUES('kuaixun.example',7672439707298448694,1,1);
INSERT INTO "site_lines" VALUES('qutoutiao.example',-3233840555247320114,2,1);
INSERT INTO "site_lines" VALUES('qutoutiao.example',-837716103205785022,2,1);
INSERT INTO "site_lines" VALUES('qutoutiao.example',6631261732073242695,2,1);
INSERT INTO "site_lines" VALUES('qutoutiao.example',9160662693089211616,2,1);
CREATE TABLE source_runs (
	id INTEGER NOT NULL, 
	source VARCHAR(64) NOT NULL, 
	started_at DATETIME NOT NULL, 
	finished_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	items INTEGER NOT NULL, 
	errors INTEGER NOT NULL, 
	details TEXT NOT NULL, 
	last_error TEXT, 
	PRIMARY KEY (id)
);
INSERT INTO "source_runs" VALUES(1,'cyol','2026-12-07 22:57:38.953997','2026-12-07 22:57:38.954803','ok',2,0,'{"pages": 3}',NULL);
CREATE TABLE source_state (
	source VARCHAR(64) NOT NULL, 
	blocked_by VARCHAR(32), 
	blocked_until DATETIME, 
	blocks_in_row INTEGER NOT NULL, 
	blocks_total INTEGER NOT NULL, 
	last_blocked_at DATETIME, 
	PRIMARY KEY (source)
);
INSERT INTO "source_state" VALUES('kuaixun','aliyun','2026-12-07 22:58:38.955513',1,1,'2026-12-07 22:57:38.955513');
CREATE TABLE stories (
	id INTEGER NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	post_id INTEGER NOT NULL, 
	first_seen DATETIME NOT NULL, 
	revision BIGINT DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE ("key"), 
	FOREIGN KEY(post_id) REFERENCES posts (id)
);
INSERT INTO "stories" VALUES(1,'3a2e3e482ac584f467f6',1,'2026-12-07 22:57:38.903103',2);
INSERT INTO "stories" VALUES(2,'4051266518e0adbe873e',3,'2026-12-07 22:57:38.937133',3);
CREATE TABLE stories_gone (
	id INTEGER NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	revision BIGINT, 
	PRIMARY KEY (id)
);
CREATE TABLE url_validators (
	id INTEGER NOT NULL, 
	url_key VARCHAR(40) NOT NULL, 
	url TEXT NOT NULL, 
	etag TEXT, 
	last_modified TEXT, 
	digest VARCHAR(64) NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (url_key)
);
INSERT INTO "url_validators" VALUES(1,'48c85bbff20946ead9345c6bec4c7ac633897a4f','http://cyol.example/feed','"v1"',NULL,'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA','2026-12-07 22:57:38.957367');
CREATE INDEX ix_media_first_url ON media (first_url);
CREATE INDEX ix_stories_revision ON stories (revision);
CREATE INDEX ix_stories_gone_revision ON stories_gone (revision);
CREATE INDEX ix_source_runs_source ON source_runs (source);
CREATE INDEX ix_posts_story_id ON posts (story_id);
CREATE INDEX ix_posts_revision ON posts (revision);
CREATE INDEX ix_post_urls_post_id ON post_urls (post_id);
CREATE INDEX ix_post_urls_source ON post_urls (source);
CREATE INDEX ix_post_urls_url ON post_urls (url);
CREATE INDEX ix_captures_post_id ON captures (post_id);
CREATE INDEX ix_captures_url ON captures (url);
CREATE INDEX ix_post_media_media_id ON post_media (media_id);
CREATE INDEX ix_post_media_url ON post_media (url);
CREATE INDEX ix_post_media_post_id ON post_media (post_id);
COMMIT;
