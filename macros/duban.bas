Attribute VB_Name = "duban"
' duban button macros -- kept ASCII (code page 1252).
' Each sub hands over to Python through xlwings' RunPython; the Python
' side lives in duban.xl.buttons.
Option Explicit

Sub DubanSheets()
    RunPython "import duban.xl.buttons as b; b.sheets()"
End Sub

Sub DubanMail()
    RunPython "import duban.xl.buttons as b; b.mail()"
End Sub

Sub DubanCollect()
    RunPython "import duban.xl.buttons as b; b.collect()"
End Sub

Sub DubanStatus()
    RunPython "import duban.xl.buttons as b; b.status()"
End Sub

Sub DubanReport()
    RunPython "import duban.xl.buttons as b; b.report()"
End Sub

Sub DubanRemind()
    RunPython "import duban.xl.buttons as b; b.remind()"
End Sub

Sub DubanNotices()
    RunPython "import duban.xl.buttons as b; b.notices()"
End Sub

Sub DubanScore()
    RunPython "import duban.xl.buttons as b; b.score()"
End Sub

Sub DubanUpgrade()
    RunPython "import duban.xl.buttons as b; b.upgrade()"
End Sub
