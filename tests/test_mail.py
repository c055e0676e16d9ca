"""`duban mail` / `duban remind`: .eml outbox, a real SMTP server on loopback, the send log."""
import email
import io
import shutil
import socket
import ssl
import subprocess
from datetime import date
from email import policy

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from duban import feedback_format as ff
from duban.cli import cli
from duban.mail import FIRST, REMIND, MailError, load_template, run_mail, send_log_path
from duban.master import load_master, save_master
from duban.model import LogRow
from duban.sheets import feedback_filename
from duban.store import open_store

WITH_EMAIL = {"区科技局": "keji@example.gov.cn", "区教委": "jiaowei@example.gov.cn",
              "中梁镇": "zhongliang@example.gov.cn"}  # 凤凰镇 has none


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """An SMTP handler that keeps every message and refuses chosen recipients."""

    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def by_rcpt(self):
        return {rcpt[0]: email.message_from_bytes(data, policy=policy.default)
                for _, rcpt, data in self.messages}


@pytest.fixture
def smtp():
    handler = Recorder()
    ctl = Controller(handler, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    handler.port = ctl.port
    yield handler
    ctl.stop()


def _configure(master_path, **settings):
    with open_store(master_path) as s:
        m = load_master(s)
        m.settings.update(settings)
        save_master(s, m, parts=("settings",))


@pytest.fixture
def master(small_master, smtp, tmp_path):
    """The small master with a 1-6月 period and the loopback server in 设置."""
    r = CliRunner().invoke(cli, ["sheets", str(small_master), "--period", "1-6月", "-o", str(tmp_path / "反馈表")])
    assert r.exit_code == 0, r.output
    _configure(small_master, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="无", smtp_user="")
    return small_master


def _mail(*args):
    return CliRunner().invoke(cli, [*args])


def _attachment(msg):
    (att,) = list(msg.iter_attachments())
    return att


def _log_rows(master_path):
    import csv

    with open(send_log_path(master_path), encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# -- the outbox ---------------------------------------------------------------

def test_outbox_has_one_eml_per_unit_with_its_workbook(master, tmp_path):
    out = tmp_path / "发件箱"
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(out))
    assert r.exit_code == 0, r.output
    assert "已生成 4 封" in r.output and "没有邮箱的单位 1 个" in r.output and "凤凰镇" in r.output
    emls = sorted(out.glob("*.eml"))
    assert len(emls) == 4
    for eml in emls:
        raw = eml.read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        unit = eml.name.split("_")[1]
        assert msg["X-Unsent"] == "1"
        assert msg["To"] == WITH_EMAIL.get(unit)
        assert msg["Subject"] == f"请于2022年7月7日前报送2022年1-6月区政府工作报告目标任务进展情况（{unit}）"
        assert msg["From"] == "区政府督查办 <duchaban@example.gov.cn>"
        body = msg.get_body(("plain",)).get_content()
        assert body.startswith(f"{unit}：") and "2022年7月7日前" in body and "023-65000000" in body
        att = _attachment(msg)
        name = feedback_filename(2022, "1-6月", unit)
        assert att.get_filename() == name
        assert att.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        # both encodings of the Chinese name, written as is (no RFC 2231 continuations)
        assert b'name="=?UTF-8?B?' in raw and b"filename*=UTF-8''2022%E5%B9%B4" in raw
        assert b"filename*0" not in raw and b"name*0" not in raw
        wb = openpyxl.load_workbook(io.BytesIO(att.get_content()))
        meta = {k: v for k, v in wb[ff.META_SHEET].iter_rows(values_only=True)}
        assert meta["单位"] == unit and ff.verify(meta, "test-secret")
    assert not send_log_path(master).exists()  # nothing was sent


def test_rfc2047_name_decodes_for_legacy_readers(master, tmp_path):
    out = tmp_path / "发件箱"
    _mail("mail", str(master), "--period", "1-6月", "--outbox", str(out))
    raw = next(out.glob("*区科技局*.eml")).read_bytes()
    legacy = email.message_from_bytes(raw)  # compat32: reads name= / filename= only
    att = [p for p in legacy.walk() if p.get_content_maintype() == "application"][0]
    word = att.get_param("name")
    decoded = "".join(t.decode(c) if isinstance(t, bytes) else t for t, c in email.header.decode_header(word))
    assert decoded == feedback_filename(2022, "1-6月", "区科技局")


def test_unknown_period_and_missing_server(master, tmp_path):
    r = _mail("mail", str(master), "--period", "1-9月", "--outbox", str(tmp_path / "o"))
    assert r.exit_code == 1 and "主表中没有期次“1-9月”" in r.output and "duban sheets" in r.output
    _configure(master, smtp_host="")
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 1 and "SMTP服务器" in r.output


def test_template_placeholders_are_checked(master, tmp_path):
    bad = tmp_path / "模板.txt"
    bad.write_text("主题：{单位}的反馈表\n\n正文", encoding="utf-8")
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--template", str(bad))
    assert r.exit_code == 1 and "{单位} 不认识" in r.output and "{unit}" in r.output
    assert load_template(FIRST).subject.startswith("请于{deadline}前报送")
    assert "{unit}" in load_template(REMIND).body


# -- sending through a real SMTP server ---------------------------------------------

def test_send_delivers_each_unit_once(master, smtp, tmp_path):
    sheets = tmp_path / "反馈表"
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"),
              "--sheets", str(sheets), "--send")
    assert r.exit_code == 0, r.output
    assert "已发送 3 封" in r.output and "凤凰镇" in r.output
    got = smtp.by_rcpt()
    assert set(got) == set(WITH_EMAIL.values())
    for unit, addr in WITH_EMAIL.items():
        msg = got[addr]
        assert unit in msg["Subject"] and "X-Unsent" not in msg
        att = _attachment(msg)
        assert att.get_filename() == feedback_filename(2022, "1-6月", unit)
        assert att.get_content() == (sheets / feedback_filename(2022, "1-6月", unit)).read_bytes()
    assert all(frm == "duchaban@example.gov.cn" for frm, _, _ in smtp.messages)
    rows = _log_rows(master)
    assert [(r["单位"], r["类型"], r["结果"]) for r in rows] == [(u, "反馈表", "已发送") for u in WITH_EMAIL]
    # a second run sends nothing twice
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 0, r.output
    assert "已发送 0 封" in r.output and "本期已发送过、本次未重发 3 个单位" in r.output
    assert len(smtp.messages) == 3 and len(_log_rows(master)) == 3


def test_one_refused_unit_does_not_stop_the_others(master, smtp, tmp_path):
    smtp.refuse = {"jiaowei@example.gov.cn"}
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 1
    assert "失败 1 个" in r.output and "区教委：收件地址被服务器拒绝：jiaowei@example.gov.cn（550" in r.output
    assert set(smtp.by_rcpt()) == {"keji@example.gov.cn", "zhongliang@example.gov.cn"}
    assert {(r["单位"], r["结果"]) for r in _log_rows(master)} == {
        ("区科技局", "已发送"), ("区教委", "失败"), ("中梁镇", "已发送")}
    # once the address works, a re-run sends the failed unit only
    smtp.refuse = set()
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 0, r.output
    assert [rc for _, rc, _ in smtp.messages][-1] == ["jiaowei@example.gov.cn"] and len(smtp.messages) == 3


def test_unreachable_server_fails_every_unit_with_the_reason(master, tmp_path):
    _configure(master, smtp_port=_free_port())  # nobody listens there
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 1
    assert "失败 3 个" in r.output and "无法连接邮件服务器 127.0.0.1" in r.output
    assert {r["结果"] for r in _log_rows(master)} == {"失败"}


def test_login_uses_the_password_from_the_environment(master, tmp_path, monkeypatch):
    handler = Recorder()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (b"duchaban", b"s3cret")
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

    ctl = Controller(handler, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator,
                     auth_require_tls=False)
    ctl.start()
    try:
        _configure(master, smtp_port=ctl.port, smtp_user="duchaban", smtp_password_env="DUBAN_TEST_PW")
        monkeypatch.delenv("DUBAN_TEST_PW", raising=False)
        r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
        assert r.exit_code == 1 and "环境变量 DUBAN_TEST_PW" in r.output
        monkeypatch.setenv("DUBAN_TEST_PW", "wrong")
        r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
        assert r.exit_code == 1 and "拒绝登录" in r.output and not handler.messages
        monkeypatch.setenv("DUBAN_TEST_PW", "s3cret")
        r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
        assert r.exit_code == 0, r.output
        assert len(handler.messages) == 3
    finally:
        ctl.stop()
    with open_store(master, write=False) as s:
        assert "s3cret" not in str(load_master(s).settings)


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command to make a certificate")
def test_starttls_and_ssl_with_a_trusted_certificate(master, tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts this certificate only
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    for security in ("STARTTLS", "SSL"):
        handler = Recorder()
        if security == "STARTTLS":
            ctl = Controller(handler, hostname="127.0.0.1", port=_free_port(), tls_context=server_ctx,
                             require_starttls=True)
        else:
            ctl = Controller(handler, hostname="127.0.0.1", port=_free_port(), ssl_context=server_ctx)
        ctl.start()
        try:
            m = _load(master)
            m.settings.update(smtp_port=ctl.port, smtp_security=security)
            res = run_mail(m, "1-6月", tmp_path / security, send=True, log_path=tmp_path / f"{security}.csv")
            assert res.failed == [] and len(res.sent) == 3, (security, res.failed)
            assert len(handler.messages) == 3
        finally:
            ctl.stop()


def _load(master_path):
    with open_store(master_path, write=False) as s:
        return load_master(s)


# -- reminders ---------------------------------------------------------------------

def test_remind_only_outstanding_units_once_a_day(master, smtp, tmp_path):
    # the first mail-out happened; then 区科技局's return was accepted by collect
    r = _mail("mail", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "o"), "--send")
    assert r.exit_code == 0, r.output
    with open_store(master) as s:
        m = load_master(s)
        m.log.append(LogRow("1-6月", "区科学技术局", "科技局.xlsx", "ab" * 32, "2022-07-05 10:00:00", "采用"))
        m.log.append(LogRow("1-6月", "区教委", "教委.xlsx", "cd" * 32, "2022-07-05 11:00:00", "退回", "签名不匹配"))
        save_master(s, m, parts=("log",))
    smtp.messages.clear()
    r = _mail("remind", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "催报"), "--send")
    assert r.exit_code == 0, r.output
    assert "已收到反馈（不再催报）的单位 1 个：区科技局" in r.output
    assert set(smtp.by_rcpt()) == {"jiaowei@example.gov.cn", "zhongliang@example.gov.cn"}
    msg = smtp.by_rcpt()["jiaowei@example.gov.cn"]
    body = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("【催报】")
    # its return was refused: the reminder says so, and why, rather than "not received"
    assert "收到了贵单位报送的《教委.xlsx》，但未能采用，原因是：签名不匹配。" in body and "尚未收到" not in body
    assert "尚未收到贵单位的反馈表" in smtp.by_rcpt()["zhongliang@example.gov.cn"].get_body(("plain",)).get_content()
    assert _attachment(msg).get_filename() == feedback_filename(2022, "1-6月", "区教委")
    assert len(list((tmp_path / "催报").glob("*_催报_*.eml"))) == 3  # 凤凰镇 too, without a recipient
    # the same day: nobody is reminded twice
    r = _mail("remind", str(master), "--period", "1-6月", "--outbox", str(tmp_path / "催报"), "--send")
    assert r.exit_code == 0 and "今天已催报过、本次未重发 2 个单位" in r.output
    assert len(smtp.messages) == 2
    # another day: reminded again; first mail-out rows are separate and untouched
    res = run_mail(_load(master), "1-6月", tmp_path / "催报2", kind=REMIND, send=True,
                   log_path=send_log_path(master), today=date(2099, 1, 2))
    assert sorted(res.sent) == ["中梁镇", "区教委"] and len(smtp.messages) == 4
    kinds = [(r["类型"], r["单位"]) for r in _log_rows(master)]
    assert kinds.count(("反馈表", "区教委")) == 1 and kinds.count(("催报", "区教委")) == 2


def test_send_log_open_elsewhere_stops_before_sending(master, smtp, tmp_path):
    lock = send_log_path(master).with_name(f".{send_log_path(master).name}.lock")
    lock.write_text("1\n")  # pid 1 is alive: another run holds the log
    with pytest.raises(MailError, match="另一个 duban 正在发送邮件"):
        run_mail(_load(master), "1-6月", tmp_path / "o", send=True, log_path=send_log_path(master))
    assert smtp.messages == []


# -- the demo ------------------------------------------------------------------------

def test_demo_steps_make_a_workbook_and_an_eml_for_every_recipient(tmp_path):
    from duban import demo
    from duban.sheets import plan_recipients

    lines = []
    ctx = {"out": tmp_path, "period": demo.DEMO_PERIOD, "made": []}
    for step in (demo.step_init, demo.step_sheets, demo.step_mail):
        step(ctx, lines.append)
    m = _load(ctx["master"])
    names = [r.name for r in plan_recipients(m).recipients]
    assert len(names) > 40
    books = {p.name for p in (tmp_path / "反馈表" / "1-6月").glob("*.xlsx")}  # the buttons' places
    assert books == {feedback_filename(2022, "1-6月", n) for n in names}
    emls = list((tmp_path / "发件箱" / "1-6月").glob("*.eml"))
    assert len(emls) == len(names)
    attached = set()
    for eml in emls:
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        attached.add(_attachment(msg).get_filename())
    assert attached == books
    text = "\n".join(lines)
    assert "没有邮箱的单位 2 个" in text and "区妇联、区科协" in text
    assert m.unit_index()["区科技局"].email.endswith("@example.gov.cn")


def test_remind_without_outbox_writes_beside_the_master(master):
    r = _mail("remind", str(master))  # the current period, set by duban sheets
    assert r.exit_code == 0, r.output
    folder = master.parent / "发件箱" / "1-6月"  # where the 催报 button puts them too
    assert len(list(folder.glob("*_催报_*.eml"))) == 4
    assert "需要催报的单位 4 个" in r.output
