"""The ground floor: the config, the errors every layer raises, report periods, the reader's language.

Imports nothing of the workbench. Public names: :func:`load_config` (the
validated ``uem.yml``), :class:`UEMConfig`, :func:`use_language` (the language
a report is written in, :mod:`uem_helpers.core.i18n`), and the error types in
:mod:`uem_helpers.core.errors`.
"""

from uem_helpers.core.config import UEMConfig, load_config
from uem_helpers.core.i18n import use_language

__all__ = ["UEMConfig", "load_config", "use_language"]
