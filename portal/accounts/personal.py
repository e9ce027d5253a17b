"""Register the users' own personal data (their phone) with the reveal mechanism."""

from portal.accounts.scoping import subtree_q
from portal.core.personal_data import register


def _users_visible_to(user):
    from portal.accounts.models import User

    return User.objects.filter(subtree_q(user, "region"))


register("accounts.user", "phone", "phone", _users_visible_to)
