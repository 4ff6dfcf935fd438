"""`raremeta fetch-ctgov` and `raremeta refresh-ctgov`: records from the ClinicalTrials.gov API.

``fetch`` saves a record's bytes as received and, beside it, ``FILE.version.json`` with the
API's ``apiVersion`` and ``dataTimestamp`` (``GET /version``). ``refresh`` re-fetches the record
of every study folder that has a ``registry_import.yaml`` and, where its content changed (a new
``versionHolder`` alone is no change), re-imports it from the saved arguments (``--force``:
hand-written files stay). Hand-entered studies are never touched.
"""

from __future__ import annotations

import json
import re
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from raremeta.io.ctgov import record_content
from raremeta.io.errors import InvalidInputError, Problem
from raremeta.io.writing import atomic_write_bytes
from raremeta.steps.registry_import import ARGUMENTS_FILE, RECORD_FILE, import_ctgov

API_URL = "https://clinicaltrials.gov/api/v2"
NCT_ID = re.compile(r"^NCT\d{8}$")
TIMEOUT = 60


class RegistryUnreachableError(OSError):
    """The registry could not be reached or answered with an error (exit code 2)."""


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read()
    except urllib.error.HTTPError as error:
        if error.code == 404:
            problem = Problem(url, "the registry has no such record (HTTP 404)")
            raise InvalidInputError([problem]) from None
        raise RegistryUnreachableError(f"{url}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RegistryUnreachableError(f"{url}: cannot reach the registry ({reason})") from None


def fetch_record(nct_id: str, api_url: str = API_URL) -> tuple[bytes, dict[str, str]]:
    """The record's bytes as received and the API's version facts.

    Raises
    ------
    InvalidInputError
        If ``nct_id`` is not an NCT id or the answer is not a JSON study record.
    RegistryUnreachableError
        If the API cannot be reached or answers with an HTTP error.
    """
    if not NCT_ID.match(nct_id):
        problem = Problem("command line", "not an NCT id (NCT + 8 digits)", value=nct_id)
        raise InvalidInputError([problem])
    base = api_url.rstrip("/")
    data = _get(f"{base}/studies/{nct_id}")
    version_bytes = _get(f"{base}/version")
    try:
        record = json.loads(data)
        version = json.loads(version_bytes)
    except ValueError as error:
        raise InvalidInputError(
            [Problem(base, f"the API answered with no JSON: {error}")]
        ) from None
    found = record.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
    if found != nct_id:
        where = f"{base}/studies/{nct_id}"
        problem = Problem(where, "the answer is not this study's record", value=str(found))
        raise InvalidInputError([problem])
    facts = {key: str(version.get(key, "")) for key in ("apiVersion", "dataTimestamp")}
    return data, facts


def fetch_ctgov(nct_id: str, out: Path, api_url: str = API_URL) -> dict[str, str]:
    """Save the record to ``out`` and its version facts to ``out.version.json``; nothing is
    written unless both answers arrived and the record is this study's.
    """
    data, facts = fetch_record(nct_id, api_url)
    atomic_write_bytes(Path(out), data)
    version = {"nctId": nct_id, "url": f"{api_url.rstrip('/')}/studies/{nct_id}", **facts}
    atomic_write_bytes(
        Path(f"{out}.version.json"), (json.dumps(version, indent=2, sort_keys=True) + "\n").encode()
    )
    return facts


def refresh_ctgov(raw_dir: Path = Path("data/raw"), api_url: str = API_URL) -> list[str]:
    """Re-fetch every imported study's record; re-import those whose content changed (a new
    ``versionHolder``, the date of the registry's data release, alone is not a change: it
    moves with every release). Return the ids of the studies re-imported.
    """
    changed = []
    for arguments in sorted(Path(raw_dir).glob(f"*/{ARGUMENTS_FILE}")):
        folder = arguments.parent
        saved = yaml.safe_load(arguments.read_text(encoding="utf-8"))
        study = yaml.safe_load((folder / "study.yaml").read_text(encoding="utf-8"))
        data, _ = fetch_record(str(study["registry"]), api_url)
        saved_record = json.loads((folder / RECORD_FILE).read_bytes())
        if record_content(json.loads(data)) == record_content(saved_record):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            record = Path(tmp) / RECORD_FILE
            record.write_bytes(data)
            import_ctgov(
                record, saved["study_id"], saved["roles"], saved["drugs"], Path(raw_dir), True
            )
        changed.append(saved["study_id"])
    return changed
