"""UEM Workbench helpers: turn what users do and say into product decisions.

Layers, imports only downward:

- engine edge: ``config``, ``engine``, ``sources`` (files, encodings, backends),
  ``schema`` (the data contract), ``casting`` and ``timezones`` (typing in the engine),
  ``encodings``, ``period``;
- numbers: ``stats`` (pure functions over statsmodels/scipy), ``readout``;
- analyses (Ibis expressions in, small pandas frames out): ``sessions``, ``funnel``,
  ``bottleneck``, ``experiment``, ``rollout``, ``cart``, ``cart_policy``, ``journey``,
  ``journey_map``, ``incidents``, ``metrics``, ``plan``, ``feedback``, and the story modules
  ``onboarding``, ``cart_story`` (and the journey and retro stories) that compose them for a
  notebook;
- presentation (small frames only): ``plots``, ``tables``, ``narrative``, ``cart_report``,
  ``privacy``;
- entry points: ``report`` (with ``params``, ``export``, ``kernel``, ``runfacts``), ``cli``;
  ``sample`` writes the sample data with its planted truth.
"""

__version__ = "0.1.0"
