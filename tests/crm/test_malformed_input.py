"""No server error on malformed input (SPEC §8.2): what no view could read truthfully is refused before any view,
with a message naming the rule, in JSON under /api/ and as a page in the user's language elsewhere; Django's own
400/403/404/500 answers follow the same split."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from accounts.models import Customer

pytestmark = pytest.mark.django_db

DEEP = 100_000


def test_an_address_with_a_nul_names_nothing_404_not_a_server_error(api, cast, customers):
    response = api(cast["paul"]).delete("/api/v1/do-not-call/%00/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]
    assert Client().get("/customers/%00/").status_code == 404, "anonymous too, before anything reads it"


def test_a_nul_or_a_non_utf8_byte_in_the_query_is_a_400(api, cast, customers):
    client = api(cast["paul"])
    response = client.get("/api/v1/customers/?search=%00")
    assert (response.status_code, "NUL" in response.json()["detail"]) == (400, True)
    response = client.get("/api/v1/customers/?search=%B3%C9%B6%BC")  # 成都 in GBK
    assert (response.status_code, "UTF-8" in response.json()["detail"]) == (400, True)
    assert client.get("/api/v1/customers/?search=%E6%88%90%E9%83%BD").status_code == 200, "成都 in UTF-8 is fine"


@pytest.mark.parametrize(
    "body",
    [
        # found by the API's contract check: the customer's code looked up with a NUL in it (500 on PostgreSQL)
        {"customer": "CD\u0000", "title": "专线扩容"},
        {"customer": "CD0001", "title": "专线扩容", "notes": ["fine", {"deep\u0000": 1}]},
    ],
)
def test_a_nul_in_a_json_string_is_a_400(api, cast, customers, body):
    response = api(cast["alice"]).post("/api/v1/opportunities/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON 解析错误：字符串中含有 NUL 字符。"}


def test_a_nul_in_a_forms_text_is_a_400_nothing_stored(login, cast, customers):
    customer = customers["alice"]
    body = "name=%E6%96%B0%00%E5%90%8D"  # 新\x00名
    response = login(cast["paul"]).post(
        f"/customers/{customer.code}/edit/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "表单文字中含有 NUL 字符。" in response.content.decode()
    assert Customer.objects.get(pk=customer.pk).name == customer.name


def test_a_form_in_another_encoding_is_refused_not_stored_with_replacement_characters(login, cast, customers):
    customer = customers["alice"]
    client = login(cast["paul"])
    body = b"name=" + "".join(f"%{byte:02X}" for byte in "新名字".encode("gbk")).encode()
    response = client.post(f"/customers/{customer.code}/edit/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "不是 UTF-8" in response.content.decode(), "the page, in Chinese"
    assert Customer.objects.get(pk=customer.pk).name == customer.name


@pytest.mark.parametrize(("method", "url"), [("patch", "/api/v1/customers/CD0001/"), ("post", "/api/v1/campaigns/")])
def test_json_nested_too_deep_is_a_400(api, cast, customers, method, url):
    body = "[" * DEEP + "]" * DEEP
    response = getattr(api(cast["paul"]), method)(url, body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套层数过深" in response.json()["detail"], "in Chinese, the default"


def test_a_body_over_the_limit_gets_json_under_the_api(api, cast, customers, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = b"summary=" + b"x" * (2 * 1024 * 1024)
    response = api(cast["alice"]).post("/api/v1/visits/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json() == {"detail": "请求大小超过 1 MB 的上限。"}


def test_not_found_under_the_api_is_json_and_a_page_elsewhere_in_chinese(api, cast, login):
    response = api(cast["paul"]).get("/api/v1/no-such-thing/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"detail": "未找到。"}
    response = login(cast["paul"]).get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到页面" in response.content.decode()


def test_an_object_not_found_under_the_api_says_so_in_chinese_without_naming_its_model(api, cast):
    """`get_object_or_404` words its 404 in English with the model's name; the API answers as for any path."""
    response = api(cast["paul"]).get("/api/v1/imports/999999/")
    assert (response.status_code, response.json()) == (404, {"detail": "未找到。"})


def test_the_server_error_page_stands_alone_in_the_users_language():
    from crm.errors import server_error

    with translation.override("zh-hans"):
        page = server_error(RequestFactory().get("/customers/"))
        api = server_error(RequestFactory().get("/api/v1/customers/"))
    assert page.status_code == 500
    assert "服务器出错" in page.content.decode()
    assert api.status_code == 500
    assert json.loads(api.content) == {"detail": "服务器出错，已记录。"}
