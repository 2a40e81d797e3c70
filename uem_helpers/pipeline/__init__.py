"""From notebook to shared report: parameters, papermill run, safe publish, HTML export, index.

:mod:`~uem_helpers.pipeline.run` is the Python API that ``uem run`` / ``uem report``
wrap (:func:`~uem_helpers.pipeline.run.run_notebook`, :func:`~uem_helpers.pipeline.run.run_period`);
its steps live beside it: :mod:`~uem_helpers.pipeline.params` (parameters checked and typed),
:mod:`~uem_helpers.pipeline.notebooks` (finding a notebook), :mod:`~uem_helpers.pipeline.status`
(lock, status files, ``index.html``), :mod:`~uem_helpers.pipeline.execute` (papermill in a child
process on :mod:`~uem_helpers.pipeline.kernel`), :mod:`~uem_helpers.pipeline.failures`,
:mod:`~uem_helpers.pipeline.export` (self-contained HTML). Notebooks call
:mod:`~uem_helpers.pipeline.runfacts` and :mod:`~uem_helpers.pipeline.attachments` to hand facts
and files to the exporter. The pipeline runs notebooks; it never calls an analysis itself.

This package's door stays empty on purpose: a notebook that imports ``runfacts`` must not load
papermill and the exporter into its kernel.
"""
