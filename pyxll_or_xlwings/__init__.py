"""The Excel side of duban, through xlwings (installed as ``duban.xl``).

A thin mapping only: buttons (``buttons``), cell functions (``udfs``) and a Store over
a workbook open in Excel (``store``). Everything they do is done by the core.
"""
