"""From notebook to shared report: parameters, papermill run, safe publish, HTML export, index.

:mod:`~uem_helpers.pipeline.run` is the Python API that ``uem run`` / ``uem report``
wrap; notebooks call :mod:`~uem_helpers.pipeline.runfacts` and
:mod:`~uem_helpers.pipeline.attachments` to hand facts and files to the exporter.
The pipeline runs notebooks; it never calls an analysis itself.
"""
