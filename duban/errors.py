"""Exceptions of duban. Each carries a Chinese message meant for staff."""


class DubanError(Exception):
    "Base class: an error whose message is shown to the user as is"


class NoticeError(DubanError):
    "The notice cannot be read as a decomposition table"


class MasterError(DubanError):
    "The master workbook is missing, damaged or not a duban master"


class MasterLocked(MasterError):
    "The master is open in Excel or another duban run holds its lock"


class PeriodError(DubanError):
    "Unknown or malformed reporting period"


class SettingsError(DubanError):
    "A value in the 设置 sheet is invalid"
