"""Settings for ``make run`` on a developer's or a demo machine."""

from portal.settings.base import *  # noqa: F403
from portal.settings.env import env, env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine for a demo on 127.0.0.1; production refuses to start without one.
SECRET_KEY = env.str("SECRET_KEY", default="local-only-insecure-key-do-not-use-in-production-7c1f")
