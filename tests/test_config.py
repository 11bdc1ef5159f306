from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import load_config
from crawler.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_layers_and_environment_override(tmp_path: Path) -> None:
    path = write(tmp_path, """
[settings]
feed_length = 7

[sources.news]
kind = "feed"
urls = ["http://127.0.0.1:1/rss.xml"]
categories = ["新媒体", "趣头条", "科技"]
""")
    config = load_config(path, env={"FEEDARCHIVER_FEED_LENGTH": "9"})
    assert config.settings.feed_length == 9
    assert config.settings.tag_authority == "feedarchiver.invalid"  # from the packaged defaults
    source = config.sources["news"]
    assert source.categories == ("新媒体", "趣头条", "科技") and source.timezone == "Asia/Shanghai"
    assert config.select(all_enabled=True) == [source]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sources.x]\nkind = "ftp"\nurls = ["http://a/"]', "kind must be one of"),
        ('[sources.x]\nkind = "feed"\nurls = []', "urls must be a non-empty list"),
        ('[sources.x]\nkind = "feed"\nurls = ["file:///etc/passwd"]', "is not an http(s) URL"),
        ('[sources.x]\nkind = "feed"\nurls = ["http://a/"]\ntimezone = "Mars/Base"', "unknown timezone"),
        ('[sources.x]\nkind = "feed"\nurls = ["http://a/"]\ncolour = "red"', "unknown key"),
        ('[sources."Bad Name"]\nkind = "feed"\nurls = ["http://a/"]', "source name"),
        ('[settings]\nfeed_length = "many"', "must be a whole number"),
        ('[settings]\nindex_url = "mysql://x"', "index_url must be"),
        ('[settings]\nstory_threshold = "high"', "story_threshold must be a number"),
        ("[settings]\nstory_threshold = 0", "story_threshold must be above 0 and at most 1"),
        ("[settings]\nstory_threshold = 1.5", "story_threshold must be above 0 and at most 1"),
        ("[sources.x\n", "not valid TOML"),
        ('[settings]\nimage_types = ["png", "svg"]', "image_types: unknown svg"),
        ('[settings]\nimage_types = "png"', "must be a list of strings"),
        ('[settings]\nimage_max_bytes = 0', "image_max_bytes must be at least 1"),
        ('[settings]\nimage_max_per_post = -1', "must not be negative"),
        ('[settings]\nimage_placeholders = ["abc"]', "is not a sha256"),
        ('[settings]\nmedia_base_url = "ftp://x/"', "media_base_url must be"),
        ('[settings]\nmedia_store = "s3://bucket/media"', "set media_base_url"),
        ('[settings]\nmedia_store = "gs://bucket/media"', "media_store must be a directory or s3"),
        ('[sources.x]\nkind = "feed"\nurls = ["http://a/"]\nimage_referer = "always"', "image_referer must be"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(write(tmp_path, text), env={})


def test_missing_config_file_and_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})
    config = load_config(write(tmp_path, '[sources.a]\nkind = "feed"\nurls = ["http://a/"]'), env={})
    with pytest.raises(ConfigError, match="unknown source"):
        config.select(["b"])


def test_image_settings_and_the_media_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[settings]\nimage_max_per_post = 3\npublic_base_url = "https://feeds.example.org/"')
    config = load_config(path, env={"FEEDARCHIVER_IMAGE_TYPES": "png, gif", "FEEDARCHIVER_IMAGE_MAX_BYTES": "5000"})
    settings = config.settings
    assert (settings.image_max_per_post, settings.image_max_bytes) == (3, 5000)
    assert settings.image_types == ("png", "gif")
    assert settings.media_url == "https://feeds.example.org/media/"  # absolute: Atom readers need it
    assert load_config(write(tmp_path, ""), env={}).settings.media_url == "/media/"
    cdn = write(tmp_path, '[settings]\nmedia_base_url = "https://cdn.example.org/m"\npublic_base_url = "https://x/"')
    assert load_config(cdn, env={}).settings.media_url == "https://cdn.example.org/m/"


def test_story_threshold_from_file_and_environment(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "[settings]\nstory_threshold = 0.6"), env={}).settings.story_threshold == 0.6
    assert load_config(write(tmp_path, "[settings]\nstory_threshold = 1"), env={}).settings.story_threshold == 1.0
    env = {"FEEDARCHIVER_STORY_THRESHOLD": "0.7"}
    assert load_config(write(tmp_path, ""), env=env).settings.story_threshold == 0.7
    assert load_config(write(tmp_path, ""), env={}).settings.story_threshold == 0.5
