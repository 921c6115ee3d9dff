"""Password login with throttling, and API tokens for machine clients."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eoffice.audit.services import record_event
from eoffice.clock import now
from eoffice.errors import AuthenticationFailed, NotFound, PermissionDenied, TooManyAttempts
from eoffice.org.actor import Actor
from eoffice.org.models import ApiToken, LoginThrottle, User
from eoffice.org.passwords import hash_password, needs_rehash, verify_password
from eoffice.org.services import ensure_can_manage, get_user_by_username
from eoffice.org.throttle import LOGIN_IP, Limit, count_event, retry_after

TOKEN_PREFIX = "eo_"  # noqa: S105 - a public prefix, not a secret
# Verified against when the user does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = hash_password("not-a-real-password-0")
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng"


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str = "",
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
    ip_max_failures: int = 0,
    refuse_demo_passwords: bool = False,
) -> User:
    """Check a user name and password; count failures and lock out after ``max_failures`` for
    the name, and after ``ip_max_failures`` (0: no limit) for the address, within ``lockout``.

    The caller commits whatever happens, so failure counts persist.

    :raises TooManyAttempts: while the name or the address is locked out (even with the right
        password); its ``retry_after`` says for how many seconds more.
    :raises AuthenticationFailed: for a wrong password, an unknown or inactive user, or a demo
        password in production. The message never says which.
    """
    key = username.strip().lower()[:64]
    throttle = session.get(LoginThrottle, key)
    moment = now()
    ip_limit = Limit(ip_max_failures, lockout)
    wait = retry_after(session, LOGIN_IP, ip, ip_limit) if ip else None
    if throttle and throttle.locked_until and throttle.locked_until > moment:
        wait = max(wait or 0, math.ceil((throttle.locked_until - moment).total_seconds()))
    if wait:
        raise TooManyAttempts(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {minutes} phút",
            params={"minutes": max(1, wait // 60 + (1 if wait % 60 else 0))},
            retry_after=wait,
        )
    user = get_user_by_username(session, key)
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not (user and valid and user.is_active):
        _count_failure(session, key, throttle, max_failures, lockout)
        if ip:
            count_event(session, LOGIN_IP, ip, ip_limit)
        raise AuthenticationFailed(BAD_CREDENTIALS)
    if refuse_demo_passwords and user.has_demo_password:
        raise AuthenticationFailed(
            "Mật khẩu demo không được dùng khi hệ thống chạy ở chế độ production; "
            "hãy đề nghị quản trị đặt mật khẩu mới"
        )
    if throttle is not None:
        session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record_event(session, Actor(user=user, ip=ip), "auth.login", "user", user.id)
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every login session of ``user`` (logout): each remembers the epoch it began in."""
    user.session_epoch += 1
    session.flush()


def _count_failure(
    session: Session,
    key: str,
    throttle: LoginThrottle | None,
    max_failures: int,
    lockout: timedelta,
) -> None:
    moment = now()
    if throttle is None:
        throttle = LoginThrottle(username=key, failures=0, first_failure_at=moment)
        session.add(throttle)
    elif moment - throttle.first_failure_at > lockout:
        throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, moment, None
    throttle.failures += 1
    if throttle.failures >= max_failures:
        throttle.locked_until = moment + lockout
    session.flush()


def _digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no KDF needed to resist guessing).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(
    session: Session, actor: Actor, user: User, name: str = ""
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return the row and the plaintext, which is never stored.

    :raises PermissionDenied: unless the actor is the user, the system, or an admin over them.
    """
    if actor.user_id != user.id:
        ensure_can_manage(session, actor, user.agency)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name[:100], token_hash=_digest(plaintext))
    session.add(token)
    session.flush()
    record_event(
        session,
        actor,
        "api_token.create",
        "api_token",
        token.id,
        agency_id=user.agency_id,
        details={"user_id": user.id, "name": token.name},
    )
    return token, plaintext


def authenticate_token(session: Session, plaintext: str) -> User | None:
    """Return the active user a bearer token belongs to, or None."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    stmt = select(ApiToken).where(ApiToken.token_hash == _digest(plaintext))
    token = session.execute(stmt).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    moment = now()
    # Write last_used_at at most once a minute: a busy client must not turn reads into writes.
    if token.last_used_at is None or moment - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = moment
    return token.user


def revoke_api_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    """Revoke a token (idempotent).

    :raises NotFound: for an unknown token. :raises PermissionDenied: for someone else's.
    """
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("Không tìm thấy mã truy cập")
    if actor.user_id != token.user_id:
        try:
            ensure_can_manage(session, actor, token.user.agency)
        except PermissionDenied:
            raise NotFound("Không tìm thấy mã truy cập") from None
    if token.revoked_at is None:
        token.revoked_at = now()
        session.flush()
        record_event(
            session,
            actor,
            "api_token.revoke",
            "api_token",
            token.id,
            agency_id=token.user.agency_id,
        )
    return token


def list_api_tokens(session: Session, user: User) -> list[ApiToken]:
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    return list(session.execute(stmt).scalars())
