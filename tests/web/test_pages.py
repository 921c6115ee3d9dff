import re
from datetime import timedelta

import pytest

from eoffice import clock
from tests.factories import PASSWORD


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_from(page.text)},
    )


def test_login_page_is_vietnamese(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "Đăng nhập" in page.text and 'lang="vi"' in page.text


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_logout_flow(client, factory):
    org = factory.org()
    response = login(client, org.clerk.username)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert (
        org.clerk.full_name in home.text and "Văn bản đến" in home.text and "Văn thư" in home.text
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    out = client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert out.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("who", ["wrong-password", "unknown-user"])
def test_bad_credentials_get_a_clear_message(client, factory, who):
    org = factory.org()
    username = org.clerk.username if who == "wrong-password" else "khong.co.ai"
    response = login(client, username, "sai-mat-khau-1")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text


def test_throttled_after_repeated_failures(client, factory, app):
    org = factory.org()
    for _ in range(5):
        login(client, org.clerk.username, "sai-mat-khau-1")
    response = login(client, org.clerk.username)
    assert response.status_code == 429 and "quá nhiều lần" in response.text


def test_missing_csrf_token_is_refused_with_a_message(client, factory):
    org = factory.org()
    response = client.post("/login", data={"username": org.clerk.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.text


def test_expired_session_asks_to_log_in_again(client, factory, settings):
    org = factory.org()
    login(client, org.clerk.username)
    assert client.get("/").status_code == 200
    later = clock.now() + timedelta(minutes=settings.session_lifetime_minutes + 1)
    with clock.frozen(later):
        response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "Phiên làm việc đã hết hạn" in page.text


def test_open_redirect_is_not_followed(client, factory):
    org = factory.org()
    page = client.get("/login?next=https://evil.example/")
    response = client.post(
        "/login?next=https://evil.example/",
        data={
            "username": org.clerk.username,
            "password": PASSWORD,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.headers["Location"] == "/"


def test_english_is_switchable(client, factory):
    org = factory.org()
    login(client, org.clerk.username)
    home = client.get("/")
    client.post("/lang/en", data={"csrf_token": csrf_from(home.text), "next": "/"})
    english = client.get("/")
    assert 'lang="en"' in english.text and "Incoming documents" in english.text


def test_friendly_404_page(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404 and "Không tìm thấy" in response.text
