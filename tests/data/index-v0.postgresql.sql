-- An index of the schema before Alembic (commit cb5cc80), written by tests/data/make_index_v0.py
CREATE TABLE archive_files (
    id integer NOT NULL,
    kind character varying(8) NOT NULL,
    name character varying(255) NOT NULL,
    size bigint NOT NULL,
    sha256 character varying(64) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    uploaded_to text,
    uploaded_at timestamp with time zone,
    deleted_locally boolean NOT NULL,
    last_error text
);

CREATE SEQUENCE archive_files_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE archive_files_id_seq OWNED BY archive_files.id;

CREATE TABLE captures (
    id integer NOT NULL,
    post_id integer,
    url text NOT NULL,
    warc_file text NOT NULL,
    "offset" integer NOT NULL,
    length integer NOT NULL,
    record_id character varying(80) NOT NULL,
    captured_at character varying(40) NOT NULL
);

CREATE SEQUENCE captures_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE captures_id_seq OWNED BY captures.id;

CREATE TABLE media (
    id integer NOT NULL,
    sha256 character varying(64) NOT NULL,
    path text NOT NULL,
    media_type character varying(64) NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    size integer NOT NULL,
    first_url text NOT NULL,
    first_seen timestamp with time zone NOT NULL
);

CREATE SEQUENCE media_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE media_id_seq OWNED BY media.id;

CREATE TABLE payload_digests (
    id integer NOT NULL,
    digest character varying(64) NOT NULL,
    url text NOT NULL,
    captured_at character varying(40) NOT NULL,
    record_id character varying(80) NOT NULL,
    warc_file text NOT NULL,
    "offset" bigint NOT NULL,
    length bigint NOT NULL
);

CREATE SEQUENCE payload_digests_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE payload_digests_id_seq OWNED BY payload_digests.id;

CREATE TABLE post_bands (
    bucket bigint NOT NULL,
    post_id integer NOT NULL
);

CREATE TABLE post_media (
    id integer NOT NULL,
    post_id integer NOT NULL,
    media_id integer NOT NULL,
    url text NOT NULL,
    "position" integer NOT NULL
);

CREATE SEQUENCE post_media_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE post_media_id_seq OWNED BY post_media.id;

CREATE TABLE post_signatures (
    post_id integer NOT NULL,
    shingles integer NOT NULL,
    signature bytea NOT NULL
);

CREATE TABLE post_urls (
    id integer NOT NULL,
    post_id integer NOT NULL,
    url text NOT NULL,
    source character varying(64) NOT NULL,
    role character varying(16) NOT NULL,
    feed_entry_id text,
    first_seen timestamp with time zone NOT NULL,
    last_seen timestamp with time zone NOT NULL
);

CREATE SEQUENCE post_urls_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE post_urls_id_seq OWNED BY post_urls.id;

CREATE TABLE posts (
    id integer NOT NULL,
    key character varying(64) NOT NULL,
    content_hash character varying(64) NOT NULL,
    source character varying(64) NOT NULL,
    url text NOT NULL,
    original_url text,
    has_original boolean NOT NULL,
    title text NOT NULL,
    author text,
    source_name text,
    published timestamp with time zone,
    updated timestamp with time zone NOT NULL,
    categories text NOT NULL,
    body_html text NOT NULL,
    text text NOT NULL,
    summary text,
    lead_image text,
    first_seen timestamp with time zone NOT NULL,
    story_id integer,
    revision bigint DEFAULT '0'::bigint NOT NULL
);

CREATE SEQUENCE posts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE posts_id_seq OWNED BY posts.id;

CREATE TABLE revisions (
    id integer NOT NULL,
    value bigint NOT NULL
);

CREATE SEQUENCE revisions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE revisions_id_seq OWNED BY revisions.id;

CREATE TABLE site_lines (
    site character varying(255) NOT NULL,
    line_key bigint NOT NULL,
    story_id integer NOT NULL,
    stories integer NOT NULL
);

CREATE TABLE source_runs (
    id integer NOT NULL,
    source character varying(64) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    status character varying(16) NOT NULL,
    items integer NOT NULL,
    errors integer NOT NULL,
    details text NOT NULL,
    last_error text
);

CREATE SEQUENCE source_runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE source_runs_id_seq OWNED BY source_runs.id;

CREATE TABLE source_state (
    source character varying(64) NOT NULL,
    blocked_by character varying(32),
    blocked_until timestamp with time zone,
    blocks_in_row integer NOT NULL,
    blocks_total integer NOT NULL,
    last_blocked_at timestamp with time zone
);

CREATE TABLE stories (
    id integer NOT NULL,
    key character varying(64) NOT NULL,
    post_id integer NOT NULL,
    first_seen timestamp with time zone NOT NULL,
    revision bigint DEFAULT '0'::bigint NOT NULL
);

CREATE TABLE stories_gone (
    id integer NOT NULL,
    key character varying(64) NOT NULL,
    revision bigint
);

CREATE SEQUENCE stories_gone_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE stories_gone_id_seq OWNED BY stories_gone.id;

CREATE SEQUENCE stories_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE stories_id_seq OWNED BY stories.id;

CREATE TABLE url_validators (
    id integer NOT NULL,
    url_key character varying(40) NOT NULL,
    url text NOT NULL,
    etag text,
    last_modified text,
    digest character varying(64) NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

CREATE SEQUENCE url_validators_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE url_validators_id_seq OWNED BY url_validators.id;

ALTER TABLE ONLY archive_files ALTER COLUMN id SET DEFAULT nextval('archive_files_id_seq'::regclass);

ALTER TABLE ONLY captures ALTER COLUMN id SET DEFAULT nextval('captures_id_seq'::regclass);

ALTER TABLE ONLY media ALTER COLUMN id SET DEFAULT nextval('media_id_seq'::regclass);

ALTER TABLE ONLY payload_digests ALTER COLUMN id SET DEFAULT nextval('payload_digests_id_seq'::regclass);

ALTER TABLE ONLY post_media ALTER COLUMN id SET DEFAULT nextval('post_media_id_seq'::regclass);

ALTER TABLE ONLY post_urls ALTER COLUMN id SET DEFAULT nextval('post_urls_id_seq'::regclass);

ALTER TABLE ONLY posts ALTER COLUMN id SET DEFAULT nextval('posts_id_seq'::regclass);

ALTER TABLE ONLY revisions ALTER COLUMN id SET DEFAULT nextval('revisions_id_seq'::regclass);

ALTER TABLE ONLY source_runs ALTER COLUMN id SET DEFAULT nextval('source_runs_id_seq'::regclass);

ALTER TABLE ONLY stories ALTER COLUMN id SET DEFAULT nextval('stories_id_seq'::regclass);

ALTER TABLE ONLY stories_gone ALTER COLUMN id SET DEFAULT nextval('stories_gone_id_seq'::regclass);

ALTER TABLE ONLY url_validators ALTER COLUMN id SET DEFAULT nextval('url_validators_id_seq'::regclass);

INSERT INTO archive_files VALUES (1, 'warc', 'feedarchiver-20261120080000-00000.warc.gz', 4000, 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd', '2026-12-07 22:57:39.132362+00', NULL, NULL, false, NULL);

INSERT INTO captures VALUES (1, 1, 'http://cyol.example/1', 'feedarchiver-20261120080000-00000.warc.gz', 0, 900, '<urn:uuid:00000000-0000-0000-0000-000000000001>', '2026-11-20T08:00:00Z');
INSERT INTO captures VALUES (2, 2, 'http://kuaixun.example/2', 'feedarchiver-20261120080000-00000.warc.gz', 1000, 900, '<urn:uuid:00000000-0000-0000-0000-000000000002>', '2026-11-20T08:00:00Z');
INSERT INTO captures VALUES (3, 3, 'http://qutoutiao.example/3', 'feedarchiver-20261120080000-00000.warc.gz', 2000, 900, '<urn:uuid:00000000-0000-0000-0000-000000000003>', '2026-11-20T08:00:00Z');
INSERT INTO captures VALUES (4, 5, 'http://kuaixun.example/4', 'feedarchiver-20261120080000-00000.warc.gz', 3000, 900, '<urn:uuid:00000000-0000-0000-0000-000000000004>', '2026-11-20T08:00:00Z');

INSERT INTO media VALUES (1, 'abababababababababababababababababababababababababababababababab', 'ab/ab/abababababababababababababababababababababababababababababababab.png', 'image/png', 10, 10, 67, 'http://img.example/a.png', '2026-12-07 22:57:39.054471+00');

INSERT INTO payload_digests VALUES (1, 'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'http://cyol.example/1', '2026-11-20T08:00:00Z', '<urn:uuid:r1>', 'feedarchiver-20261120080000-00000.warc.gz', 0, 900);

INSERT INTO post_bands VALUES (-9044679853241779243, 1);
INSERT INTO post_bands VALUES (-8642003008940677812, 1);
INSERT INTO post_bands VALUES (-8036577402894043768, 1);
INSERT INTO post_bands VALUES (-7701361938823109515, 1);
INSERT INTO post_bands VALUES (-7333423440002265936, 1);
INSERT INTO post_bands VALUES (-6455993659746070210, 1);
INSERT INTO post_bands VALUES (-6214761379845484689, 1);
INSERT INTO post_bands VALUES (-6182638001227658848, 1);
INSERT INTO post_bands VALUES (-6011324947956666072, 1);
INSERT INTO post_bands VALUES (-5818719855542756701, 1);
INSERT INTO post_bands VALUES (-5189008850406852754, 1);
INSERT INTO post_bands VALUES (-5088829630392874484, 1);
INSERT INTO post_bands VALUES (-4890489567422619290, 1);
INSERT INTO post_bands VALUES (-4813588247876937558, 1);
INSERT INTO post_bands VALUES (-4364001703668872048, 1);
INSERT INTO post_bands VALUES (-4169502114603508758, 1);
INSERT INTO post_bands VALUES (-3694647372991920669, 1);
INSERT INTO post_bands VALUES (-2209262484692202259, 1);
INSERT INTO post_bands VALUES (-1710712008363279952, 1);
INSERT INTO post_bands VALUES (-1386933107086789881, 1);
INSERT INTO post_bands VALUES (-575694188597339431, 1);
INSERT INTO post_bands VALUES (112904142896352486, 1);
INSERT INTO post_bands VALUES (692939141663720474, 1);
INSERT INTO post_bands VALUES (1310054075303566480, 1);
INSERT INTO post_bands VALUES (1653426072125715587, 1);
INSERT INTO post_bands VALUES (2254444774175980317, 1);
INSERT INTO post_bands VALUES (2272821733159798247, 1);
INSERT INTO post_bands VALUES (2288854277177468021, 1);
INSERT INTO post_bands VALUES (2309066528929752611, 1);
INSERT INTO post_bands VALUES (3303283054192698891, 1);
INSERT INTO post_bands VALUES (3602705324556798120, 1);
INSERT INTO post_bands VALUES (3940313842613454614, 1);
INSERT INTO post_bands VALUES (3989276270473193529, 1);
INSERT INTO post_bands VALUES (4224412531068565051, 1);
INSERT INTO post_bands VALUES (4454282079526598228, 1);
INSERT INTO post_bands VALUES (4595806839677435336, 1);
INSERT INTO post_bands VALUES (5061541237127628709, 1);
INSERT INTO post_bands VALUES (5133171032757481932, 1);
INSERT INTO post_bands VALUES (5554829986921984992, 1);
INSERT INTO post_bands VALUES (6809100248971220547, 1);
INSERT INTO post_bands VALUES (7591945702134830837, 1);
INSERT INTO post_bands VALUES (8173394724138234671, 1);
INSERT INTO post_bands VALUES (-9044679853241779243, 2);
INSERT INTO post_bands VALUES (-8730114841954209873, 2);
INSERT INTO post_bands VALUES (-7867844335765785985, 2);
INSERT INTO post_bands VALUES (-7701361938823109515, 2);
INSERT INTO post_bands VALUES (-7209764098360088622, 2);
INSERT INTO post_bands VALUES (-7184385090895992131, 2);
INSERT INTO post_bands VALUES (-7161234250270329174, 2);
INSERT INTO post_bands VALUES (-7108391850252949834, 2);
INSERT INTO post_bands VALUES (-6739335552231081938, 2);
INSERT INTO post_bands VALUES (-6591681231800224836, 2);
INSERT INTO post_bands VALUES (-5452958620913623375, 2);
INSERT INTO post_bands VALUES (-5206203939816670214, 2);
INSERT INTO post_bands VALUES (-5088829630392874484, 2);
INSERT INTO post_bands VALUES (-4890489567422619290, 2);
INSERT INTO post_bands VALUES (-4364001703668872048, 2);
INSERT INTO post_bands VALUES (-4101016062493296873, 2);
INSERT INTO post_bands VALUES (-3987793403099351230, 2);
INSERT INTO post_bands VALUES (-3775145286140628605, 2);
INSERT INTO post_bands VALUES (-3070257581947481802, 2);
INSERT INTO post_bands VALUES (-2546773802600045765, 2);
INSERT INTO post_bands VALUES (-2209262484692202259, 2);
INSERT INTO post_bands VALUES (-1532852999461662105, 2);
INSERT INTO post_bands VALUES (-1420564942208352820, 2);
INSERT INTO post_bands VALUES (-1386933107086789881, 2);
INSERT INTO post_bands VALUES (-1248676923745626228, 2);
INSERT INTO post_bands VALUES (-544842780676875355, 2);
INSERT INTO post_bands VALUES (-206668846582771799, 2);
INSERT INTO post_bands VALUES (754849369003800993, 2);
INSERT INTO post_bands VALUES (874196136469090976, 2);
INSERT INTO post_bands VALUES (899832712572215593, 2);
INSERT INTO post_bands VALUES (1544258655195036386, 2);
INSERT INTO post_bands VALUES (1657605863586314661, 2);
INSERT INTO post_bands VALUES (2424931522926746777, 2);
INSERT INTO post_bands VALUES (2935030490100955597, 2);
INSERT INTO post_bands VALUES (2980052734332401453, 2);
INSERT INTO post_bands VALUES (3561324030031780771, 2);
INSERT INTO post_bands VALUES (4595806839677435336, 2);
INSERT INTO post_bands VALUES (5133171032757481932, 2);
INSERT INTO post_bands VALUES (5291306659672989976, 2);
INSERT INTO post_bands VALUES (6146858643904616343, 2);
INSERT INTO post_bands VALUES (8173394724138234671, 2);
INSERT INTO post_bands VALUES (8637805383690405107, 2);
INSERT INTO post_bands VALUES (-9201150784253917834, 3);
INSERT INTO post_bands VALUES (-9065563450012079670, 3);
INSERT INTO post_bands VALUES (-8724334869105862045, 3);
INSERT INTO post_bands VALUES (-8279376930408851033, 3);
INSERT INTO post_bands VALUES (-7760692375314413131, 3);
INSERT INTO post_bands VALUES (-7326742942143682099, 3);
INSERT INTO post_bands VALUES (-6662325867742342198, 3);
INSERT INTO post_bands VALUES (-4090947445252908354, 3);
INSERT INTO post_bands VALUES (-4080018955904706973, 3);
INSERT INTO post_bands VALUES (-3473620895499657892, 3);
INSERT INTO post_bands VALUES (-2495918353400140970, 3);
INSERT INTO post_bands VALUES (-2378631297667510300, 3);
INSERT INTO post_bands VALUES (-1389967522929882766, 3);
INSERT INTO post_bands VALUES (-956394414270696780, 3);
INSERT INTO post_bands VALUES (-922437348206638267, 3);
INSERT INTO post_bands VALUES (-794194583354052844, 3);
INSERT INTO post_bands VALUES (-508133627332322171, 3);
INSERT INTO post_bands VALUES (-310233710586562744, 3);
INSERT INTO post_bands VALUES (-134762554819967545, 3);
INSERT INTO post_bands VALUES (-118059778639502912, 3);
INSERT INTO post_bands VALUES (58472599944925456, 3);
INSERT INTO post_bands VALUES (81838325010329193, 3);
INSERT INTO post_bands VALUES (138084370129242406, 3);
INSERT INTO post_bands VALUES (289005673554837434, 3);
INSERT INTO post_bands VALUES (583846819249846915, 3);
INSERT INTO post_bands VALUES (966537613726133106, 3);
INSERT INTO post_bands VALUES (1404944799448906803, 3);
INSERT INTO post_bands VALUES (1936154268717799227, 3);
INSERT INTO post_bands VALUES (2178688862898947963, 3);
INSERT INTO post_bands VALUES (2495155185831019869, 3);
INSERT INTO post_bands VALUES (2831816485737168209, 3);
INSERT INTO post_bands VALUES (2911778069541084413, 3);
INSERT INTO post_bands VALUES (3527680179776954130, 3);
INSERT INTO post_bands VALUES (3804379112727753313, 3);
INSERT INTO post_bands VALUES (3867352387248936409, 3);
INSERT INTO post_bands VALUES (3977900623877232468, 3);
INSERT INTO post_bands VALUES (4462819999952682947, 3);
INSERT INTO post_bands VALUES (6143731807202146651, 3);
INSERT INTO post_bands VALUES (6286958611286340675, 3);
INSERT INTO post_bands VALUES (6781391615324891940, 3);
INSERT INTO post_bands VALUES (7102803203206932950, 3);
INSERT INTO post_bands VALUES (9041921960570662271, 3);

INSERT INTO post_media VALUES (1, 1, 1, 'http://img.example/a.png', 0);

INSERT INTO post_signatures VALUES (1, 528, '\xfd7589004fc2e70094a27d007f324d0064fec500883ae700b6ea350077d3bb005ab771006a1a2e00626d1900df28ba0039903300ff8f3c00c5002b00c27c7a00f0046e018f258100cc0a3e0040ae9400c67dc600ee996700cfbb630015e3bf005c414a018878c8007c80e200b53b0600e627b600fff2b2003bf8b700b30d030126c9ae002e1dff00a46a1100ab99080063948c0037a2ad00b1c9df00aabd1200b0b90a0125264d00e10f340079326c00fefd5501bb610c00b622f101ddcaea00e490b10216b12c0021e9340154723000e2df1c0043a20300a1df27009a565000003339004b07090034027300b47b3601e8a2370048550500e69d5600b71134014dc121007ffa5600b3fc4800c6490400bfdcb200dcb41500ba115600c85b2c0016c86800784d230078461800752a290126ee93008d581d01172036004bec6600d47137011bdfae00a1a481005e92010002da2b0065ebd500b9c7030191dfc300ee62ea00b31550009a9df2018ee16200efa45000f4a16c0024f8db0092637a00ecdbe000cc0d4700018d0f00f7390d0066cc2200fe0e350039171500b3e76001c5331900faa35500253d1600b2b11e00c1b21c008fadb2002c6f8e00755c990087c8a900090027003adf1000d50f50008e216600b4653100a7811700eecf21006b227e0051e6c7013d933a01d1817100960c8600c1b9f000d8d2460015865600');
INSERT INTO post_signatures VALUES (2, 688, '\x80a87000d264090018e54c003dee5f0093918800883ae700b6ea350077d3bb005ab771006a1a2e00626d1900df28ba0039903300ff8f3c00c5002b00c27c7a00cd590100573da800cc0a3e0040ae9400c5c8240010ee2f00cfbb63004f334a00395395008878c8007c80e200b53b0600e627b6003b7d81003bf8b700a19341008fea72002e1dff00a46a1100ab99080063948c0037a2ad00aa530c00aabd1200c22c6d0025264d00e10f340079326c006ebc21008d9e08004d32000064bc5b003c41400116b12c001687fb0054723000e2df1c00dab4b201a1df270057502100764b07004b070900fee61300bdab30007fe42e0048550500e69d560023f3d5004dc121007ffa5600587d1e00c64904004dc80f00dcb41500ba115600c85b2c0016c8680048480400784618009b52e800e5f15e008d581d01172036004bec66000d7a3c01a6c60500a1a481005e9201001a96020065ebd500b9c7030191dfc300a8170700b315500060b15f008ee16200efa45000f4a16c003536700092637a00ecdbe000cc0d4700018d0f00f7390d0066cc2200fe0e350039171500ea8fc700c5331900faa355004c551500b2b11e00c1b21c008fadb2002c6f8e00755c990087c8a900090027003adf1000d50f50008e216600f01cb700a7811700eecf21006b227e0051e6c7012d530d01e65c2300bf7a8a0020368e00a6c45700357e0300');
INSERT INTO post_signatures VALUES (3, 450, '\xf13d0700f977980049864200cd062601c95c7b01e50d0d00ad7a110063665400bd08b700be02450081ce00004066470011ff7400d90c430097ff0900acc92300e996a80064f859004fe9fd009bcf7f014bbf5800879b2e006c823000864fdf00228eb70177ab1901bb0e48006d269600e13a8e002b1a3b00831f0b00115b620146104500f2defc00798270009a3d2300e5d72501d3b0b000e81a0300e0fe27008ba16500c2c68c00e18f1c0056a0e00047d1d700ea7d4e008f64a2002f65ac01b87e3d00b99b7400f68a0a00a8605100080c1f015ee61e00a5560b00be271c007afcc30046de4201fa9ef8005bcda900b266b300acdfa3016ef82702e1c81a0073dca10141605500cda187002968050000ac46012a7f1c00d7977d0041b337005fde590050656500be6c2500c9a6210189a028009e4cbd00bb690c0011433e006c2a3200e56a2f0273160000dc744c003298230002b9f600a6828800c5763000ee511300373d2a00cd710700c9672f000113a700974fd00020994000115656009e583e0031490f0035031200e188c1018651160040f11f01351a0b01abac2e00027e00002d5e1e00ee241900432c600051727800827d410069917800984f0e00098d7500c158e200cb3f0200ed0b62007e290100650a660047597701a0df2e02e5ba4d00e3971300e6fa5a003c255800613a46008effc3002976b2009e800c00');

INSERT INTO post_urls VALUES (1, 1, 'http://cyol.example/1', 'cyol', 'original', NULL, '2026-12-07 22:57:39.054471+00', '2026-12-07 22:57:39.054471+00');
INSERT INTO post_urls VALUES (2, 2, 'http://kuaixun.example/2', 'kuaixun', 'copy', NULL, '2026-12-07 22:57:39.08212+00', '2026-12-07 22:57:39.08212+00');
INSERT INTO post_urls VALUES (3, 3, 'http://qutoutiao.example/3', 'qutoutiao', 'copy', NULL, '2026-12-07 22:57:39.10131+00', '2026-12-07 22:57:39.10131+00');
INSERT INTO post_urls VALUES (4, 5, 'http://kuaixun.example/4', 'kuaixun', 'copy', NULL, '2026-12-07 22:57:39.114633+00', '2026-12-07 22:57:39.114633+00');

INSERT INTO posts VALUES (1, '3a2e3e482ac584f467f6', '3a2e3e482ac584f467f6849978bff17f805dc4e747a45e161a524f2fcd2c1dad', 'cyol', 'http://cyol.example/1', 'http://cyol.example/1', true, '中青报·中青网记者 李晓晴 通讯员 彭思远', NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 08:00:00+00', '["news"]', '<p>中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南省益阳市赫山区的晚稻刚刚收割完毕，油菜播种接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校“无人机植保班”的学生们正两人一组调试设备：一人核对航线，一人检查药箱和喷头。几分钟后，6架植保无人机依次升空，按照规划好的航线完成了120亩田块的播种作业。
学生在田间调试植保无人机。受访者供图
“以前一说到职校学农，大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。”专业负责人刘建军介绍，学校从2023年起与本地农机合作社共建实训基地，把课堂搬到田间地头，学生在校期间要累计完成不少于200小时的飞行作业。
记者了解到，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别和遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟随合作社机手下田，并按作业面积计算实训报酬。
18岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定，“爸妈再也不说我读职校没出息了”。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。</p>', '中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南省益阳市赫山区的晚稻刚刚收割完毕，油菜播种接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校“无人机植保班”的学生们正两人一组调试设备：一人核对航线，一人检查药箱和喷头。几分钟后，6架植保无人机依次升空，按照规划好的航线完成了120亩田块的播种作业。
学生在田间调试植保无人机。受访者供图
“以前一说到职校学农，大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。”专业负责人刘建军介绍，学校从2023年起与本地农机合作社共建实训基地，把课堂搬到田间地头，学生在校期间要累计完成不少于200小时的飞行作业。
记者了解到，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别和遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟随合作社机手下田，并按作业面积计算实训报酬。
18岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定，“爸妈再也不说我读职校没出息了”。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。', NULL, NULL, '2026-12-07 22:57:39.054471+00', 1, 1);
INSERT INTO posts VALUES (2, '65a92117b9266138705a', '65a92117b9266138705acbfbd8e3c6ef04758f15037d098eae85b4b6850733bb', 'kuaixun', 'http://kuaixun.example/2', 'http://cyol.example/1', false, '快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点', NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 08:00:00+00', '["news"]', '<p>快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南益阳赫山区的晚稻刚刚收割完，油菜播种又接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校"无人机植保班"的学生们正两人一组调试设备:一人核对航线,一人检查药箱和喷头。几分钟后,6架植保无人机依次升空,按照规划好的航线完成了120亩田块的播种作业。"以前一说到职校学农,大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。"专业负责人刘建军介绍,学校从2023年起与本地农机合作社共建实训基地,把课堂搬到田间地头,学生在校期间要累计完成不少于200小时的飞行作业。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
学生在田间调试植保无人机。
据了解，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别、遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟着合作社机手下田，并按作业面积计算实训报酬。
１８岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。
快讯网注意到，近年来多地职业院校陆续开设无人机应用技术相关专业，农业植保、电力巡检和应急救援等领域对持证飞手的需求持续增长。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：中国青年报</p>', '快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
中青报·中青网记者 李晓晴 通讯员 彭思远
11月中旬，湖南益阳赫山区的晚稻刚刚收割完，油菜播种又接踵而至。在兰溪镇的一片田埂上，赫山区职业中专学校"无人机植保班"的学生们正两人一组调试设备:一人核对航线,一人检查药箱和喷头。几分钟后,6架植保无人机依次升空,按照规划好的航线完成了120亩田块的播种作业。"以前一说到职校学农,大家想到的就是扛锄头。现在学生们手里拿的是遥控器和平板电脑。"专业负责人刘建军介绍,学校从2023年起与本地农机合作社共建实训基地,把课堂搬到田间地头,学生在校期间要累计完成不少于200小时的飞行作业。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
学生在田间调试植保无人机。
据了解，该专业课程涵盖无人机组装与维护、农药安全使用、作物病虫害识别、遥感测绘等内容。每到春播、“双抢”和秋冬种时节，学校都会调整课表，安排学生跟着合作社机手下田，并按作业面积计算实训报酬。
１８岁的学生周子豪已经拿到了民用无人机操控员执照。“上个月我跟着师傅在沅江跑了半个月，一天能飞三四百亩。”他说，家里承包了40多亩水田，过去打药要请人，现在他自己就能搞定。
据当地农业农村部门统计，截至2026年10月底，赫山区在册植保无人机已超过800架，但持证飞手缺口仍有三成左右。学校计划明年把招生规模扩大到4个班，并面向返乡青年开设短期培训，“让会种地的人也会飞，会飞的人更懂种地”。
快讯网注意到，近年来多地职业院校陆续开设无人机应用技术相关专业，农业植保、电力巡检和应急救援等领域对持证飞手的需求持续增长。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：中国青年报', NULL, NULL, '2026-12-07 22:57:39.08212+00', 1, 2);
INSERT INTO posts VALUES (3, '4051266518e0adbe873e', '4051266518e0adbe873ed231caba2536b1ec2e0cc7b6f8846ec06a75d4d394fe', 'qutoutiao', 'http://qutoutiao.example/3', NULL, false, '记者11月20日从中国科学院物理研究所获悉，该所联合多家企业', NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 08:00:00+00', '["news"]', '<p>记者11月20日从中国科学院物理研究所获悉，该所联合多家企业研制出一种新型层状氧化物钠离子电池，在零下30摄氏度的环境中仍能保持92%以上的可用容量，有望缓解北方地区电动两轮车和储能设备“冬季掉电”的难题。
与锂离子电池相比，钠离子电池的原材料储量丰富、成本较低，但能量密度和低温性能一直是其走向大规模应用的短板。研究团队负责人介绍，他们在正极材料中引入微量铜、钛元素，稳定了材料在充放电过程中的晶体结构，同时开发了一种低凝固点的电解液配方，使钠离子在低温下仍能较快迁移。
第三方检测结果显示，该电池单体能量密度达到每公斤165瓦时，常温下循环3000次后容量保持率为88%。在零下30摄氏度放电测试中，其容量保持率为92.6%，明显高于目前市场上同类产品的水平。
“低温性能好，意味着在东北、西北等地区可以少用甚至不用电池加热系统，整体成本还能进一步下降。”参与研发的工程师表示，团队已在河北张家口建设中试线，首批产品将用于通信基站备用电源和电动自行车。
业内专家指出，钠离子电池与锂离子电池并非简单的替代关系，而是在不同场景中形成互补。随着产业链逐步成熟，钠离子电池在储能、低速电动车等对成本敏感的领域有较大发展空间。
来源：科技日报</p>', '记者11月20日从中国科学院物理研究所获悉，该所联合多家企业研制出一种新型层状氧化物钠离子电池，在零下30摄氏度的环境中仍能保持92%以上的可用容量，有望缓解北方地区电动两轮车和储能设备“冬季掉电”的难题。
与锂离子电池相比，钠离子电池的原材料储量丰富、成本较低，但能量密度和低温性能一直是其走向大规模应用的短板。研究团队负责人介绍，他们在正极材料中引入微量铜、钛元素，稳定了材料在充放电过程中的晶体结构，同时开发了一种低凝固点的电解液配方，使钠离子在低温下仍能较快迁移。
第三方检测结果显示，该电池单体能量密度达到每公斤165瓦时，常温下循环3000次后容量保持率为88%。在零下30摄氏度放电测试中，其容量保持率为92.6%，明显高于目前市场上同类产品的水平。
“低温性能好，意味着在东北、西北等地区可以少用甚至不用电池加热系统，整体成本还能进一步下降。”参与研发的工程师表示，团队已在河北张家口建设中试线，首批产品将用于通信基站备用电源和电动自行车。
业内专家指出，钠离子电池与锂离子电池并非简单的替代关系，而是在不同场景中形成互补。随着产业链逐步成熟，钠离子电池在储能、低速电动车等对成本敏感的领域有较大发展空间。
来源：科技日报', NULL, NULL, '2026-12-07 22:57:39.10131+00', 2, 3);
INSERT INTO posts VALUES (5, '447c26bbb864c11e9098', '447c26bbb864c11e9098c7a00f08ea96723e6d42e449be4ba674cc0181f4f8b2', 'kuaixun', 'http://kuaixun.example/4', NULL, false, '快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点', NULL, NULL, '2026-11-20 08:00:00+00', '2026-11-20 08:00:00+00', '["news"]', '<p>快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
11月21日夜间起，江城市迎来今冬首场降雪，城区积雪深度2至4厘米。市气象台22日6时发布道路结冰黄色预警，提醒市民尽量减少驾车出行，必须出行时注意减速慢行。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
环卫工人在桥面撒盐除冰。
环卫部门已出动除雪车辆120台次，对主干道和桥梁进行撒盐除冰。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：江城晚报</p>', '快讯网综合报道｜关注快讯网，每天早晚两次为你推送全国热点
11月21日夜间起，江城市迎来今冬首场降雪，城区积雪深度2至4厘米。市气象台22日6时发布道路结冰黄色预警，提醒市民尽量减少驾车出行，必须出行时注意减速慢行。
【广告】下载快讯网APP，新用户登录即领10元现金红包，提现秒到账
环卫工人在桥面撒盐除冰。
环卫部门已出动除雪车辆120台次，对主干道和桥梁进行撒盐除冰。
免责声明：本文系转载，版权归原作者所有，转载目的在于传递更多信息，并不代表本网赞同其观点和对其真实性负责。如涉及作品内容、版权等问题，请在30日内与本网联系。
来源：江城晚报', NULL, NULL, '2026-12-07 22:57:39.114633+00', NULL, 4);

INSERT INTO revisions VALUES (1, 4);

INSERT INTO site_lines VALUES ('cyol.example', -6129272046017140873, 1, 1);
INSERT INTO site_lines VALUES ('cyol.example', -3121461450184327129, 1, 1);
INSERT INTO site_lines VALUES ('cyol.example', -1621177577862213150, 1, 1);
INSERT INTO site_lines VALUES ('cyol.example', -703714506908456228, 1, 1);
INSERT INTO site_lines VALUES ('cyol.example', 2388549754357986266, 1, 1);
INSERT INTO site_lines VALUES ('cyol.example', 5946258204793471581, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', -4790160174343489761, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', -3678547231281113588, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', -3174037016765648630, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', -1621177577862213150, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', -703714506908456228, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', 3500407312817031522, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', 4690123667713062467, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', 7658326840611396534, 1, 1);
INSERT INTO site_lines VALUES ('kuaixun.example', 7672439707298448694, 1, 1);
INSERT INTO site_lines VALUES ('qutoutiao.example', -3233840555247320114, 2, 1);
INSERT INTO site_lines VALUES ('qutoutiao.example', -837716103205785022, 2, 1);
INSERT INTO site_lines VALUES ('qutoutiao.example', 6631261732073242695, 2, 1);
INSERT INTO site_lines VALUES ('qutoutiao.example', 9160662693089211616, 2, 1);

INSERT INTO source_runs VALUES (1, 'cyol', '2026-12-07 22:57:39.120411+00', '2026-12-07 22:57:39.122202+00', 'ok', 2, 0, '{"pages": 3}', NULL);

INSERT INTO source_state VALUES ('kuaixun', 'aliyun', '2026-12-07 22:58:39.123911+00', 1, 1, '2026-12-07 22:57:39.123911+00');

INSERT INTO stories VALUES (1, '3a2e3e482ac584f467f6', 1, '2026-12-07 22:57:39.054471+00', 2);
INSERT INTO stories VALUES (2, '4051266518e0adbe873e', 3, '2026-12-07 22:57:39.10131+00', 3);

INSERT INTO url_validators VALUES (1, '48c85bbff20946ead9345c6bec4c7ac633897a4f', 'http://cyol.example/feed', '"v1"', NULL, 'sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '2026-12-07 22:57:39.128053+00');

SELECT pg_catalog.setval('archive_files_id_seq', 1, true);

SELECT pg_catalog.setval('captures_id_seq', 4, true);

SELECT pg_catalog.setval('media_id_seq', 1, true);

SELECT pg_catalog.setval('payload_digests_id_seq', 1, true);

SELECT pg_catalog.setval('post_media_id_seq', 1, true);

SELECT pg_catalog.setval('post_urls_id_seq', 4, true);

SELECT pg_catalog.setval('posts_id_seq', 5, true);

SELECT pg_catalog.setval('revisions_id_seq', 1, false);

SELECT pg_catalog.setval('source_runs_id_seq', 1, true);

SELECT pg_catalog.setval('stories_gone_id_seq', 1, false);

SELECT pg_catalog.setval('stories_id_seq', 2, true);

SELECT pg_catalog.setval('url_validators_id_seq', 1, true);

ALTER TABLE ONLY archive_files
    ADD CONSTRAINT archive_files_name_key UNIQUE (name);

ALTER TABLE ONLY archive_files
    ADD CONSTRAINT archive_files_pkey PRIMARY KEY (id);

ALTER TABLE ONLY captures
    ADD CONSTRAINT captures_pkey PRIMARY KEY (id);

ALTER TABLE ONLY captures
    ADD CONSTRAINT captures_record_id_key UNIQUE (record_id);

ALTER TABLE ONLY media
    ADD CONSTRAINT media_pkey PRIMARY KEY (id);

ALTER TABLE ONLY media
    ADD CONSTRAINT media_sha256_key UNIQUE (sha256);

ALTER TABLE ONLY payload_digests
    ADD CONSTRAINT payload_digests_digest_key UNIQUE (digest);

ALTER TABLE ONLY payload_digests
    ADD CONSTRAINT payload_digests_pkey PRIMARY KEY (id);

ALTER TABLE ONLY post_bands
    ADD CONSTRAINT post_bands_pkey PRIMARY KEY (bucket, post_id);

ALTER TABLE ONLY post_media
    ADD CONSTRAINT post_media_pkey PRIMARY KEY (id);

ALTER TABLE ONLY post_media
    ADD CONSTRAINT post_media_post_id_media_id_key UNIQUE (post_id, media_id);

ALTER TABLE ONLY post_signatures
    ADD CONSTRAINT post_signatures_pkey PRIMARY KEY (post_id);

ALTER TABLE ONLY post_urls
    ADD CONSTRAINT post_urls_pkey PRIMARY KEY (id);

ALTER TABLE ONLY post_urls
    ADD CONSTRAINT post_urls_url_source_key UNIQUE (url, source);

ALTER TABLE ONLY posts
    ADD CONSTRAINT posts_content_hash_key UNIQUE (content_hash);

ALTER TABLE ONLY posts
    ADD CONSTRAINT posts_key_key UNIQUE (key);

ALTER TABLE ONLY posts
    ADD CONSTRAINT posts_pkey PRIMARY KEY (id);

ALTER TABLE ONLY revisions
    ADD CONSTRAINT revisions_pkey PRIMARY KEY (id);

ALTER TABLE ONLY site_lines
    ADD CONSTRAINT site_lines_pkey PRIMARY KEY (site, line_key);

ALTER TABLE ONLY source_runs
    ADD CONSTRAINT source_runs_pkey PRIMARY KEY (id);

ALTER TABLE ONLY source_state
    ADD CONSTRAINT source_state_pkey PRIMARY KEY (source);

ALTER TABLE ONLY stories_gone
    ADD CONSTRAINT stories_gone_pkey PRIMARY KEY (id);

ALTER TABLE ONLY stories
    ADD CONSTRAINT stories_key_key UNIQUE (key);

ALTER TABLE ONLY stories
    ADD CONSTRAINT stories_pkey PRIMARY KEY (id);

ALTER TABLE ONLY url_validators
    ADD CONSTRAINT url_validators_pkey PRIMARY KEY (id);

ALTER TABLE ONLY url_validators
    ADD CONSTRAINT url_validators_url_key_key UNIQUE (url_key);

CREATE INDEX ix_captures_post_id ON captures USING btree (post_id);

CREATE INDEX ix_captures_url ON captures USING btree (url);

CREATE INDEX ix_media_first_url ON media USING btree (first_url);

CREATE INDEX ix_post_media_media_id ON post_media USING btree (media_id);

CREATE INDEX ix_post_media_post_id ON post_media USING btree (post_id);

CREATE INDEX ix_post_media_url ON post_media USING btree (url);

CREATE INDEX ix_post_urls_post_id ON post_urls USING btree (post_id);

CREATE INDEX ix_post_urls_source ON post_urls USING btree (source);

CREATE INDEX ix_post_urls_url ON post_urls USING btree (url);

CREATE INDEX ix_posts_revision ON posts USING btree (revision);

CREATE INDEX ix_posts_story_id ON posts USING btree (story_id);

CREATE INDEX ix_source_runs_source ON source_runs USING btree (source);

CREATE INDEX ix_stories_gone_revision ON stories_gone USING btree (revision);

CREATE INDEX ix_stories_revision ON stories USING btree (revision);

ALTER TABLE ONLY captures
    ADD CONSTRAINT captures_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);

ALTER TABLE ONLY post_bands
    ADD CONSTRAINT post_bands_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);

ALTER TABLE ONLY post_media
    ADD CONSTRAINT post_media_media_id_fkey FOREIGN KEY (media_id) REFERENCES media(id);

ALTER TABLE ONLY post_media
    ADD CONSTRAINT post_media_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);

ALTER TABLE ONLY post_signatures
    ADD CONSTRAINT post_signatures_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);

ALTER TABLE ONLY post_urls
    ADD CONSTRAINT post_urls_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);

ALTER TABLE ONLY posts
    ADD CONSTRAINT posts_story_id_fkey FOREIGN KEY (story_id) REFERENCES stories(id);

ALTER TABLE ONLY stories
    ADD CONSTRAINT stories_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts(id);
