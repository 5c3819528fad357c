"""Keys for a local machine: generated once into var/ so a laptop needs no configuration.

Production settings never call this: there every key comes from the environment.
"""
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def ensure_local_keys(var_dir: Path) -> tuple[str, list[str], str]:
    path = var_dir / "local_keys.json"
    if path.exists():
        data = json.loads(path.read_text())
    else:
        data = {
            "secret_key": secrets.token_urlsafe(50),
            "field_keys": [Fernet.generate_key().decode()],
            "lookup_key": secrets.token_urlsafe(32),
        }
        path.write_text(json.dumps(data))
        os.chmod(path, 0o600)
    field_keys = os.environ.get("CARECIRCLE_FIELD_KEYS")
    return (
        os.environ.get("DJANGO_SECRET_KEY") or data["secret_key"],
        field_keys.split(",") if field_keys else data["field_keys"],
        os.environ.get("CARECIRCLE_LOOKUP_KEY") or data["lookup_key"],
    )
