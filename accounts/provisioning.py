"""Local accounts that `make run` makes sure of: the admin and the demo member."""

import os
import secrets

from django.contrib.auth import get_user_model


def ensure_account(command, *, label, env_vars, default_username, create):
    """Create the account if missing, with the password from the environment or a generated one
    printed once; an existing account keeps its password unless the environment gives another.
    `env_vars` names the (user name, password) environment variables.
    `create(User, username, password)` makes the account. Returns the user and whether it is new.
    """
    User = get_user_model()
    out, style = command.stdout, command.style
    username_env, password_env = env_vars
    username = os.environ.get(username_env, "").strip() or default_username
    password = os.environ.get(password_env, "")
    user = User.objects.filter(username=username).first()
    if user is None:
        generated = not password
        password = password or secrets.token_urlsafe(12)
        user = create(User, username, password)
        out.write(style.SUCCESS(f"Created the {label} '{username}'."))
        if generated:
            out.write(f"  Its generated password is: {password}")
            out.write(f"  (Set {password_env} to choose your own.)")
        return user, True
    if password and not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
        out.write(f"Set the password of '{username}' from {password_env}.")
        return user, False
    out.write(
        f"The {label} '{username}' already exists; its password is unchanged. "
        f"Run with {password_env}=... to set a new one."
    )
    return user, False
