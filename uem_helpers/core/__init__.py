"""The ground floor: the config, the errors every layer raises, report periods.

Imports nothing of the workbench. Public names: :func:`load_config` (the
validated ``uem.yml``), :class:`UEMConfig`, and the error types in
:mod:`uem_helpers.core.errors`.
"""

from uem_helpers.core.config import UEMConfig, load_config

__all__ = ["UEMConfig", "load_config"]
