"""Files *in and out*: ncdu exports (written from a scan, read back as a
result), the HTML report, and ``atomic`` output files that are written
whole or not at all, never through a link another user planted.  The JSON
document is the model's own ``ScanResult.to_dict``.
"""
