"""Lift a login lock: ``manage.py unlock_login USERNAME`` and/or ``--ip IP`` (security admin)."""

from __future__ import annotations

import ipaddress

from django.core.management.base import BaseCommand, CommandError

from portal.accounts.services import login_unlock


class Command(BaseCommand):
    help = "解除登录锁定（账号和/或IP），并清零失败计数；操作记入审计日志。"

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="被锁定的用户名")
        parser.add_argument("--ip", help="被锁定的客户端IP")

    def handle(self, *args, username=None, ip=None, **options):
        if not username and not ip:
            raise CommandError("请给出用户名或 --ip，例如：manage.py unlock_login zhangsan 或 --ip 10.1.2.3")
        if ip:
            try:
                ip = str(ipaddress.ip_address(ip.strip()))
            except ValueError:
                raise CommandError(f"--ip {ip!r} 不是有效的IP地址，例如 --ip 10.1.2.3") from None
        lifted = login_unlock(actor=None, username=username, ip=ip)
        subjects = " / ".join(filter(None, [f"账号 {username}" if username else "", f"IP {ip}" if ip else ""]))
        if lifted:
            scopes = "、".join("账号" if lock.scope == "account" else "IP" for lock in lifted)
            self.stdout.write(f"已解除锁定（{scopes}）：{subjects}；失败计数已清零。")
        else:
            self.stdout.write(f"{subjects} 当前未被锁定；失败计数已清零。")
