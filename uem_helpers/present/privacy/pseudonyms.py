"""Pseudonyms for user ids: a keyed hash (HMAC-SHA256), stable for one key, unlinkable without it.

A plain hash of a phone number or a 7-digit id is reversed by hashing every
possible id; a keyed hash is not, as long as the key stays secret. The key
comes from the config (``privacy.key``) or, better, from the environment
variable it names (``privacy.key_env``, default ``UEM_PRIVACY_KEY``), so it
never sits in the repository. With no key configured, a random key is drawn
for the run: pseudonyms are consistent within one report but cannot be linked
across reports (and the report footer says so).

A pseudonym is ``"u_"`` + the first 12 hex digits (48 bits) of
HMAC-SHA256(key, user id as UTF-8): with a million users the chance that two
share a pseudonym is about 0.2%.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping

import pandas as pd

from uem_helpers.core.config import PrivacyConfig
from uem_helpers.core.errors import ConfigError

#: Fewest characters a configured key may have (a short key can be found by trying keys).
MIN_KEY_LENGTH = 16

#: Where the key came from: the config, the environment variable, or drawn for this run.
KEY_FROM_CONFIG, KEY_FROM_ENV, KEY_PER_RUN = "config", "env", "per-run"

_PREFIX = "u_"
_HEX_DIGITS = 12
#: A pseudonym inside a text: its 12 hex digits can look like a phone or card number, which the
#: masker must leave alone (:func:`~uem_helpers.present.privacy.detectors.find_personal_data`).
PSEUDONYM = re.compile(rf"(?<![0-9A-Za-z_]){_PREFIX}[0-9a-f]{{{_HEX_DIGITS}}}(?![0-9A-Za-z_])")


def resolve_key(settings: PrivacyConfig, environ: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """The pseudonymisation key and where it came from.

    Parameters
    ----------
    settings : PrivacyConfig
        The config's ``privacy`` section.
    environ : mapping, optional
        Environment variables; ``os.environ`` when None.

    Returns
    -------
    key : bytes
    source : str
        :data:`KEY_FROM_CONFIG`, :data:`KEY_FROM_ENV` or :data:`KEY_PER_RUN` (a random 32-byte key).

    Raises
    ------
    ConfigError
        The configured key is shorter than :data:`MIN_KEY_LENGTH` characters (the key itself is never shown).
    """
    environ = os.environ if environ is None else environ
    if settings.key:
        return _checked(settings.key, "privacy.key"), KEY_FROM_CONFIG
    if environ.get(settings.key_env):
        return _checked(environ[settings.key_env], f"privacy.key_env (environment variable {settings.key_env})"), KEY_FROM_ENV
    return secrets.token_bytes(32), KEY_PER_RUN


def _checked(key: str, where: str) -> bytes:
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            where, f"(hidden, {len(key)} characters)",
            f"the pseudonymisation key must have at least {MIN_KEY_LENGTH} characters; "
            "generate one with: python -c \"import secrets; print(secrets.token_hex(32))\"",
        )
    return key.encode("utf-8")


def pseudonym(user_id: object, key: bytes) -> str | None:
    """The pseudonym of one user id: ``"u_"`` + 12 hex digits of HMAC-SHA256(key, id).

    Parameters
    ----------
    user_id : object
        The id (read as ``str``; ids are strings in the data contract). None or NaN give None.
    key : bytes
        The key (:func:`resolve_key`).

    Returns
    -------
    str or None
        E.g. ``"u_3f9a0c2b71de"``; the same id and key always give the same pseudonym.
    """
    if user_id is None or (isinstance(user_id, float) and user_id != user_id) or user_id is pd.NA:
        return None
    digest = hmac.new(key, str(user_id).encode("utf-8"), hashlib.sha256).hexdigest()
    return _PREFIX + digest[:_HEX_DIGITS]


def pseudonymize(user_ids: Iterable[object], key: bytes) -> pd.Series:
    """Pseudonyms of many user ids (a small result frame's column, not a whole event table).

    Parameters
    ----------
    user_ids : iterable
        Ids; a Series keeps its index and name.
    key : bytes
        The key (:func:`resolve_key`).

    Returns
    -------
    pandas.Series
        Strings (None where the id is missing).
    """
    series = user_ids if isinstance(user_ids, pd.Series) else pd.Series(list(user_ids), dtype=object)
    return pd.Series([pseudonym(v, key) for v in series], index=series.index, name=series.name, dtype=object)
