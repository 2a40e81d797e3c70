"""UEM Workbench helpers: turn what users do and say into product decisions.

Layers, imports only downward: ``config``, ``sources``, ``schema`` (the engine
edge); ``stats`` (pure numbers); the analyses (``funnel``, ``experiment``,
...), which build Ibis expressions and return small pandas frames;
presentation (``plots``, ``narrative``, ``privacy``); entry points
(``report``, ``widgets``, ``cli``).
"""

__version__ = "0.1.0"
