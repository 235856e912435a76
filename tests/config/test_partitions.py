"""Regions and partitions come from botocore's endpoint data: every partition botocore knows is accepted, with
its own issuer and hosted-UI domain (parametrized from botocore's data, so a new partition is tested as soon as
botocore knows it); a region newer than botocore is accepted with a warning; a made-up one is refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from botocore.loaders import Loader

from cognito_privx.config import load_config
from cognito_privx.config.partitions import domain_url, region_info
from cognito_privx.desired import DesiredState
from cognito_privx.errors import ConfigError
from tests.support.constants import BASE_CONFIG, REGION

BOTOCORE_PARTITIONS: list[dict[str, Any]] = Loader().load_data("endpoints")["partitions"]


def _a_region(raw: dict[str, Any]) -> str:
    """A region of the partition: one listing cognito-idp when botocore has one, else any of its regions."""
    listed = [r for r in raw["services"].get("cognito-idp", {}).get("endpoints", {}) if r in raw["regions"]]
    return (listed or [r for r in raw["regions"] if not r.endswith("-global")])[0]


def _config(tmp_path: Path, region: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(BASE_CONFIG.replace(f'region = "{REGION}"', f'region = "{region}"'))
    return path


# What AWS documents for the hosted-UI prefix domain (docs/cognito.md#partitions): aws, and GovCloud's auth-fips
# (AWS GovCloud (US) User Guide, "Amazon Cognito in AWS GovCloud (US)"). Any other partition is built by analogy.
DOCUMENTED_DOMAINS = {
    "aws": "https://acme.auth.{region}.amazoncognito.com",
    "aws-us-gov": "https://acme.auth-fips.{region}.amazoncognito.com",
}


@pytest.mark.parametrize("raw", BOTOCORE_PARTITIONS, ids=[p["partition"] for p in BOTOCORE_PARTITIONS])
def test_each_partition_botocore_knows(raw: dict[str, Any], tmp_path: Path) -> None:
    region = _a_region(raw)
    cfg = load_config(_config(tmp_path, region))
    desired = DesiredState.from_config(cfg)
    assert desired.pool.issuer("P_1") == f"https://cognito-idp.{region}.{raw['dnsSuffix']}/P_1"
    info = region_info(region)
    assert info.partition.name == raw["partition"]
    url = domain_url("acme", region)
    if raw["partition"] in DOCUMENTED_DOMAINS:
        assert url == DOCUMENTED_DOMAINS[raw["partition"]].format(region=region)
        assert info.partition.hosted_ui_verified
    else:
        assert url.startswith(f"https://acme.auth.{region}.") and not info.partition.hosted_ui_verified
    # A pool id of that region is accepted too.
    assert load_config(_config(tmp_path, region), pool_id=f"{region}_AbC123").cognito.pool_id == f"{region}_AbC123"


def test_the_european_sovereign_cloud(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, "eusc-de-east-1"))
    assert DesiredState.from_config(cfg).pool.issuer("eusc-de-east-1_X") == (
        "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_X"
    )


def test_china_issuer(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, "cn-north-1"))
    assert DesiredState.from_config(cfg).pool.issuer("cn-north-1_X") == (
        "https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_X"
    )
    assert domain_url("acme", "cn-north-1") == "https://acme.auth.cn-north-1.amazoncognito.com.cn"


def test_govcloud_hosted_ui_is_fips(tmp_path: Path) -> None:
    assert domain_url("acme", "us-gov-west-1") == "https://acme.auth-fips.us-gov-west-1.amazoncognito.com"


def test_a_region_newer_than_botocore_is_accepted_with_a_warning(cli: Any, tmp_path: Path) -> None:
    future = "eu-future-9"  # matches the aws partition's regionRegex; botocore lists no such region
    assert re.match(next(p["regionRegex"] for p in BOTOCORE_PARTITIONS if p["partition"] == "aws"), future)
    assert not region_info(future).known
    result = cli("--config", str(_config(tmp_path, future)), "login-url")
    assert "warning: the installed botocore" in result.stderr and future in result.stderr
    assert "not an AWS region" not in result.stderr


@pytest.mark.parametrize("region", ["mars-east-1", "eu-west", "EU-WEST-1"])
def test_a_made_up_region_is_refused(region: str, cli: Any, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(_config(tmp_path, region))
    assert "is not an AWS region name" in e.value.message and "aws-eusc (like eusc-de-east-1)" in str(e.value.hint)
    result = cli("--config", str(_config(tmp_path, region)), "plan")
    assert result.exit_code == 2
    assert "is not an AWS region name" in result.stderr and "hint:" in result.stderr


def test_a_pool_id_of_a_made_up_region_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(_config(tmp_path, REGION), pool_id="mars-east-1_AbC")


def test_a_partition_added_through_aws_data_path_is_known(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``AWS_DATA_PATH`` (botocore's own variable: data searched there before its built-in data) reaches the region
    check as it reaches the client: a partition defined only there is a known one, with its own DNS suffix."""
    data = Loader().load_data("endpoints")
    data["partitions"].append(
        {
            "partition": "aws-test",
            "partitionName": "A partition only this data knows",
            "dnsSuffix": "amazonaws.test",
            "regionRegex": "^mars\\-\\w+\\-\\d+$",
            "regions": {"mars-east-1": {"description": "Mars (East)"}},
            "defaults": {"hostname": "{service}.{region}.{dnsSuffix}", "protocols": ["https"]},
            "services": {"cognito-idp": {"endpoints": {"mars-east-1": {}}}},
        }
    )
    (tmp_path / "endpoints.json").write_text(json.dumps(data))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))

    info = region_info("mars-east-1")
    assert info.known and info.partition.dns_suffix == "amazonaws.test"
    cfg = load_config(_config(tmp_path, "mars-east-1"))
    assert DesiredState.from_config(cfg).pool.region == "mars-east-1"
    monkeypatch.delenv("AWS_DATA_PATH")
    with pytest.raises(ConfigError):  # the built-in data alone does not know it
        load_config(_config(tmp_path, "mars-east-1"))


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "JSONDecodeError"),
        ("{}", "KeyError: 'partitions'"),
        ('{"partitions": [{"partition": "x", "dnsSuffix": "x.test", "regionRegex": "^x-"}]}', "KeyError: 'services'"),
        ('{"partitions": [{"partition": "x", "dnsSuffix": "x.test", "regionRegex": "(", "services": {}}]}', "error"),
    ],
)
def test_a_broken_endpoints_json_under_aws_data_path_is_named_not_blamed_on_the_region(
    content: str, why: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken ``endpoints.json`` under ``AWS_DATA_PATH`` (botocore's client would read it too) is one error naming
    the variable and what is wrong, exit 2 before any call; not a bad region, not an unexpected error."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "endpoints.json").write_text(content)
    monkeypatch.setenv("AWS_DATA_PATH", str(data))
    result = cli("--config", str(_config(tmp_path, REGION)), "plan")
    assert result.exit_code == 2, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: botocore's endpoint data (AWS_DATA_PATH={data}) cannot be read") and why in first
    assert "region" not in first and "unexpected" not in result.stderr
    assert "hint: fix the endpoints.json there or unset AWS_DATA_PATH" in result.stderr


def test_a_region_refused_under_aws_data_path_names_it_in_the_hint(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``endpoints.json`` under ``AWS_DATA_PATH`` replaces botocore's whole: a region it lacks is refused, and
    the hint says whose data that was (not "upgrade botocore")."""
    data = tmp_path / "data"
    data.mkdir()
    only = {
        "partition": "aws-zz",
        "dnsSuffix": "zz.test",
        "regionRegex": "^zz\\-\\w+\\-\\d+$",
        "regions": {"zz-test-1": {}},
        "services": {},
    }
    (data / "endpoints.json").write_text(json.dumps({"partitions": [only]}))
    monkeypatch.setenv("AWS_DATA_PATH", str(data))
    result = cli("--config", str(_config(tmp_path, REGION)), "plan")
    assert result.exit_code == 2
    assert f"'{REGION}' is not an AWS region name" in result.stderr
    assert f"AWS_DATA_PATH={data}" in result.stderr and "replaces botocore's own whole" in result.stderr
    assert "pip install -U boto3" not in result.stderr
