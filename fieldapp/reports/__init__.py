"""Printed and exported documents: evaluation sheets, blank forms, the monthly bulletin, exports.

Every document is written through :func:`fieldapp.reports.output.atomic_output`, so a failure
never leaves a half-written file where the user asked for one.
"""
