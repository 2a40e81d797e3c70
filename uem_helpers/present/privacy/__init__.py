"""Safe to share: pseudonyms, small-cell suppression, masking of personal data, inert text.

A notebook states its privacy settings once, right after loading the config::

    from uem_helpers.present import privacy
    privacy.use(config.privacy)

From then on the workbench's presentation helpers apply them: ``narrative``,
``plots`` and ``tables`` mask personal data in every data string they show
and escape it; segment breakdowns fold segments of fewer than
``min_cell_size`` users into "other"; and the report footer (written by the
exporter from :mod:`uem_helpers.pipeline.runfacts`) states what was applied. Without
:func:`use`, the defaults apply: every kind masked, a minimum of 10, and the
key from ``UEM_PRIVACY_KEY`` or else a random key for the run.

Other notebooks call the same functions, through the active :class:`Policy`
(``privacy.active().pseudonymize(ids)``) or directly with explicit settings:

- :func:`pseudonym`, :func:`pseudonymize`: keyed-hash pseudonyms of user ids;
- :func:`mask_text`, :func:`find_personal_data`: personal data in free text;
- :func:`fold_small_groups`, :func:`fold_funnel_segments`,
  :func:`suppress_small_cells`: small-cell suppression;
- :func:`safe_table`, :func:`html_text`, :func:`visible_text`: tables and text for HTML, hidden
  characters (controls, bidi overrides, zero-width spaces) shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from uem_helpers.core.config import PrivacyConfig
from uem_helpers.core.formats import number
from uem_helpers.core.i18n import _
from uem_helpers.present.privacy.detectors import KIND_NAMES, KINDS, Finding, find_personal_data, id_number_valid, luhn_valid, mask_text
from uem_helpers.present.privacy.display import HIDDEN_CHARACTERS, SafeTable, html_text, safe_table, visible_text
from uem_helpers.present.privacy.pseudonyms import KEY_FROM_CONFIG, KEY_FROM_ENV, KEY_PER_RUN, pseudonym, pseudonymize, resolve_key
from uem_helpers.present.privacy.suppression import (OTHER, SUPPRESSED, fold_funnel_segments, fold_small_groups, group_label,
                                                     groups_to_fold, small_label, suppress_small_cells)

__all__ = [
    "HIDDEN_CHARACTERS", "KINDS", "KIND_NAMES", "OTHER", "SUPPRESSED", "Finding", "Policy", "SafeTable", "active", "group_label",
    "find_personal_data", "fold_funnel_segments", "fold_small_groups", "footer_text", "groups_to_fold", "html_text", "id_number_valid",
    "luhn_valid", "mask_text", "pseudonym", "pseudonymize", "resolve_key", "safe_table", "small_label",
    "suppress_small_cells", "use", "visible_text",
]


@dataclass(frozen=True)
class Policy:
    """The privacy settings in force, with the key resolved. Build it with :meth:`from_config`.

    Attributes
    ----------
    key_source : str
        ``"config"``, ``"env"`` or ``"per-run"``.
    key_env : str
        The environment variable the key is read from.
    min_cell_size : int
        Fewest users a group or cell shown may describe.
    mask : tuple of str
        Kinds of personal data masked in text (:data:`KINDS` order).
    """

    key_source: str
    key_env: str
    min_cell_size: int
    mask: tuple[str, ...]
    _key: bytes = field(repr=False)

    @classmethod
    def from_config(cls, settings: PrivacyConfig | None = None, environ=None) -> Policy:
        """The policy of a config's ``privacy`` section (defaults when None); see :func:`resolve_key`."""
        settings = settings or PrivacyConfig()
        key, source = resolve_key(settings, environ)
        kinds = tuple(k for k in KINDS if k in settings.mask)
        return cls(source, settings.key_env, settings.min_cell_size, kinds, key)

    def pseudonym(self, user_id: object) -> str | None:
        """The pseudonym of one user id under this policy's key (see :func:`pseudonym`)."""
        return pseudonym(user_id, self._key)

    def pseudonymize(self, user_ids: Iterable[object]) -> pd.Series:
        """Pseudonyms of many user ids under this policy's key (see :func:`pseudonymize`)."""
        return pseudonymize(user_ids, self._key)

    def mask_text(self, text: object) -> str:
        """``text`` as a report shows it: the configured kinds of personal data masked (see :func:`mask_text`)
        and hidden characters (controls, bidi overrides, zero-width spaces) shown as U+FFFD (:func:`visible_text`)."""
        return visible_text(mask_text(text, self.mask))

    def html_text(self, text: object) -> str:
        """``text`` masked and HTML-escaped (see :func:`html_text`)."""
        return html_text(text, self.mask)

    def safe_table(self, frame: pd.DataFrame) -> SafeTable:
        """``frame`` masked and escaped for display (see :func:`safe_table`)."""
        return safe_table(frame, self.mask)

    def fold_small_groups(self, frame: pd.DataFrame, group: str, **kwargs) -> pd.DataFrame:
        """:func:`fold_small_groups` with this policy's ``min_cell_size``."""
        return fold_small_groups(frame, group, self.min_cell_size, **kwargs)

    def fold_funnel_segments(self, readout: pd.DataFrame, segment_by: str) -> pd.DataFrame:
        """:func:`fold_funnel_segments` with this policy's ``min_cell_size``."""
        return fold_funnel_segments(readout, segment_by, self.min_cell_size)

    def suppress_small_cells(self, table: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """:func:`suppress_small_cells` with this policy's ``min_cell_size``."""
        return suppress_small_cells(table, self.min_cell_size, **kwargs)

    def facts(self) -> dict:
        """What this policy applies, for the report footer (no key material).

        Returns
        -------
        dict
            ``{"key": "config" | "env" | "per-run", "key_env": str, "min_cell_size": int, "masked": [kinds]}``.
        """
        return {"key": self.key_source, "key_env": self.key_env, "min_cell_size": self.min_cell_size,
                "masked": list(self.mask)}


_ACTIVE: list[Policy] = []


def use(settings: PrivacyConfig | None = None) -> Policy:
    """Make a config's privacy settings the ones the workbench applies in this kernel.

    Parameters
    ----------
    settings : PrivacyConfig, optional
        The config's ``privacy`` section; the defaults when None.

    Returns
    -------
    Policy
        The policy now active.

    Raises
    ------
    ConfigError
        The configured key is too short.
    """
    policy = Policy.from_config(settings)
    _ACTIVE[:] = [policy]
    return policy


def active() -> Policy:
    """The policy in force: the one set by :func:`use`, else the defaults (drawn once per kernel)."""
    if not _ACTIVE:
        _ACTIVE.append(Policy.from_config())
    return _ACTIVE[0]


def footer_text(facts: dict | None) -> list[str]:
    """The report footer's sentences for recorded privacy facts (:meth:`Policy.facts`).

    Parameters
    ----------
    facts : dict or None
        Recorded facts; None when the notebook recorded none.

    Returns
    -------
    list of str
        Plain sentences (not escaped).
    """
    if not facts:
        return [_("This notebook did not record its privacy settings, so the protections applied are unknown.")]
    env = facts.get("key_env") or "UEM_PRIVACY_KEY"
    size = int(facts.get("min_cell_size", 0))
    masked = [_(KIND_NAMES[k]) for k in facts.get("masked", ()) if k in KIND_NAMES]
    return [
        _key_sentence(facts.get("key"), env),
        _("Segments, categories and counts describing fewer than {size} users are folded into \u201c{other}\u201d or "
          "shown as \u201c{small}\u201d.").format(size=number(size, 0), other=_(OTHER), small=small_label(size)),
        _("Personal data masked in text from the data: {kinds}.").format(kinds=", ".join(masked)) if masked
        else _("No personal data is masked in text from the data (privacy.mask is empty)."),
        _("Text from the data is shown as text: it cannot become markup, links or script."),
    ]


def _key_sentence(key: str | None, env: str) -> str:
    """The footer's sentence on pseudonyms: with which key they were made, and what follows for linking them."""
    if key == KEY_FROM_CONFIG:
        return _("User ids are shown only as pseudonyms (keyed hash, HMAC-SHA256) with the key set in the config "
                 "(privacy.key), so a user has the same pseudonym in every report made with that key.")
    if key == KEY_FROM_ENV:
        return _("User ids are shown only as pseudonyms (keyed hash, HMAC-SHA256) with the key from the environment "
                 "variable {env}, so a user has the same pseudonym in every report made with that key.").format(env=env)
    if key == KEY_PER_RUN:
        return _("User ids are shown only as pseudonyms (keyed hash, HMAC-SHA256) with a random key made for this run "
                 "only (no key was set in {env}), so pseudonyms cannot be linked across reports.").format(env=env)
    return _("User ids are shown only as pseudonyms (keyed hash, HMAC-SHA256) with an unknown key.")
