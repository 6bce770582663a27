from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm.models import Role
from crm.services import staff_upsert


class Command(BaseCommand):
    help = (
        "Create or update a member of staff with a role, a home region and optionally a department "
        "(or, for partner staff, their partner company)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--region", required=True, help="home region code, e.g. 510104")
        parser.add_argument("--department", help="department name; created in the home region when new")
        parser.add_argument("--partner", help="the partner company of partner staff (role partner), by name")
        parser.add_argument("--password", help="asked for when not given")
        parser.add_argument("--name", default="", help="full name in Chinese, e.g. 张伟")

    def handle(self, *args, **options):
        password = options["password"]
        if password is None:
            password = self._prompt_password()
        try:
            user, created = staff_upsert(
                username=options["username"],
                role=options["role"],
                region_code=options["region"],
                department_name=options["department"],
                password=password,
                full_name=options["name"],
                partner_name=options["partner"],
            )
        except ValidationError as exc:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
            raise CommandError("; ".join(messages)) from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.username} ({user.role}, {user.region_id})"))

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password on: give --password.")
        while True:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
            if first and first == second:
                return first
            self.stderr.write("Passwords were empty or did not match; try again.")
