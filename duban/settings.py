"""The 设置 sheet: every setting as data (key, Chinese label, default, description, type)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import SettingsError


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    default: object
    help: str
    type: type = str


SETTINGS: tuple[Setting, ...] = (
    Setting("year", "年度", 2022, "工作报告所属年度", int),
    Setting("current_period", "当前期次", "", "正在督办的期次，如 1-6月；duban sheets --period 会更新它"),
    Setting("office", "发文单位", "区政府督查办", "报告落款及邮件署名"),
    Setting("report_to", "主送", "区政府", "报告的主送机关，正文开头写作“区政府：”"),
    Setting("report_date", "报告日期", "", "报告落款的成文日期，如 2022-07-15；留空则为生成报告当天"),
    Setting("contact", "联系人", "督查办", "反馈表和邮件中写明的联系人"),
    Setting("contact_phone", "联系电话", "", "反馈表和邮件中写明的联系电话"),
    Setting("contact_email", "联系邮箱", "", "单位回复反馈表的邮箱，也用作发件人"),
    Setting("deadline_days", "报送期限天数", 7, "期次截止日后多少天内报送（期次表未写报送截止日期时使用）", int),
    Setting("single_column_lead_first", "单列责任单位首位为牵头", "是",
            "通知只有一列“责任单位”时，第一个单位作牵头、其余作配合（是/否）"),
    Setting("with_coop", "配合单位也发反馈表", "否", "是：配合单位也收到反馈表（等同 --with-coop）"),
    Setting("lag_points", "滞后差距", 15.0,
            "量化目标完成比例落后序时进度超过该百分点数、且在建量补不上缺口的，判推进较为滞后（默认15，督查常用尺度）", float),
    Setting("yellow_points", "黄灯线", 10.0, "落后序时进度超过该百分点数亮黄灯（默认10）", float),
    Setting("red_points", "红灯线", 30.0, "落后序时进度超过该百分点数亮红灯（默认30）", float),
    Setting("near_miss_share", "年末接近目标线", 0.9,
            "年末或完成时限已过，完成目标该比例以上但未达到的判需人工研判，以下的判推进较为滞后（默认0.9）", float),
    Setting("prep_ok_share", "前期阶段时限", 0.5,
            "序时进度达到该比例后，建成类任务仍在前期手续或未开工的判推进较为滞后（默认0.5，即年中）", float),
    Setting("growth_lag_points", "增速差距", 2.0, "实际增速低于目标超过该百分点数判推进较为滞后（任务，默认2）", float),
    Setting("indicator_about_tolerance", "左右容差", 0.5, "“增长X%左右”的指标，实际值不低于 X−该值 即符合预期", float),
    Setting("task_about_tolerance", "任务左右容差", 0.05, "任务数量目标的相对容差：0.05 即完成目标的95%视为完成", float),
    Setting("sheet_password", "反馈表保护密码", "", "反馈表工作表保护密码，留空则无密码保护（仍锁定非填报单元格）"),
    Setting("text_limit", "填报字数上限", 2000, "反馈表中每个文字格的字数上限", int),
    Setting("smtp_host", "SMTP服务器", "", "发送邮件的服务器地址，如 smtp.example.gov.cn"),
    Setting("smtp_port", "SMTP端口", 465, "SSL 通常 465，STARTTLS 通常 587，明文 25", int),
    Setting("smtp_security", "SMTP加密", "SSL", "SSL / STARTTLS / 无"),
    Setting("smtp_user", "SMTP用户", "", "登录用户名，留空则不登录"),
    Setting("smtp_password_env", "SMTP密码环境变量", "DUBAN_SMTP_PASSWORD",
            "密码不存入工作簿：从该环境变量读取"),
    Setting("mail_from", "发件人", "", "发件人地址，留空用联系邮箱"),
    Setting("secret", "签名密钥", "", "反馈表防伪签名密钥，初始化时随机生成，请勿外传或修改"),
    # supervision notices (duban notices) and the annual scorecard (duban score)
    Setting("notice_number", "督办单编号格式", "督办〔{year}〕第{n}号",
            "督办单编号：{year} 为年度，{n} 为全年顺序号（从1起，重新生成不会重复编号）"),
    Setting("notice_blue_days", "蓝色督办提前天数", 30,
            "完成时限在期次截止日后该天数以内、尚未完成的任务发蓝色督办单（提醒按期完成）", int),
    Setting("notice_reply_days", "督办回复期限天数", 10, "督办单签发后多少天内书面回复整改情况（办理时限）", int),
    Setting("notice_repeat_red", "连续滞后升级红色", "是",
            "是：上期已发黄色或红色督办单、本期仍滞后的任务发红色督办单；否：仍发黄色", str),
    Setting("notice_feedback", "督办反馈方式",
            "请在下期进展反馈表“督办整改情况”栏填写整改落实情况，随反馈表一并报送督查办",
            "督办单“反馈方式”一栏的文字"),
    Setting("score_base", "考核基础分", 100.0, "年度目标考核中督办部分的基础分", float),
    Setting("score_late", "迟报扣分", 0.5, "每期反馈表晚于报送截止日期报送，每次扣该分", float),
    Setting("score_missing", "漏报扣分", 1.0, "每期报送截止日期已过仍未报送（报送记录中无“采用”），每次扣该分", float),
    Setting("score_blue", "蓝色督办扣分", 0.0, "每收到一份蓝色督办单扣该分（默认0：蓝色只是提醒）", float),
    Setting("score_yellow", "黄色督办扣分", 1.0, "每收到一份黄色督办单扣该分", float),
    Setting("score_red", "红色督办扣分", 2.0, "每收到一份红色督办单扣该分", float),
    Setting("score_overdue_reply", "督办逾期回复扣分", 1.0, "督办单超过回复期限仍未回复（或逾期才回复），每份扣该分", float),
)

# Settings that tune the status engine (duban.judge); the 设置 sheet's values win over judge_rules.json.
JUDGE_KEYS = ("lag_points", "yellow_points", "red_points", "near_miss_share", "prep_ok_share", "growth_lag_points",
              "indicator_about_tolerance", "task_about_tolerance")

BY_KEY = {s.key: s for s in SETTINGS}
BY_LABEL = {s.label: s for s in SETTINGS}


def defaults() -> dict:
    return {s.key: s.default for s in SETTINGS}


def coerce(setting: Setting, value) -> object:
    """Convert a cell value to the setting's type, with a Chinese error on failure."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return setting.default if setting.type is not str else ""
    if setting.type is str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()
    try:
        if setting.type is int:
            return int(float(value))
        return float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"设置表中“{setting.label}”的值“{value}”不是数字：{setting.help}") from None


def truthy(value) -> bool:
    return str(value).strip().lower() in ("是", "y", "yes", "true", "1", "对")


def parse_date(value, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise SettingsError(f"{what}“{value}”不是日期：请写成 2022-06-30 的形式")
