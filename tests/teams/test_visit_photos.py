"""Photos of a visit (外勤拍照): POST and GET /api/v1/visits/{id}/photos/, their bad inputs, the file served only to
those who see the customer, and the visit form that takes them with the visit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from teams.models import Visit, VisitPhoto
from tests.factories import TeamRoleFactory, VisitFactory, image_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def visit(cast, customers):
    return VisitFactory(customer=customers["alice"], visitor=cast["alice"])


def _photos_url(visit) -> str:
    return f"/api/v1/visits/{visit.pk}/photos/"


def _upload(client, visit, content: bytes, name="IMG_0001.jpg", content_type="image/jpeg"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(
        _photos_url(visit), {"photo": SimpleUploadedFile(name, content, content_type=content_type)}, format="multipart"
    )


def test_the_visitor_attaches_a_photo_and_lists_it_with_its_address(api, cast, visit, media):
    client = api(cast["alice"])
    response = _upload(client, visit, image_bytes())
    assert response.status_code == 201, response.content
    body = response.json()
    photo = VisitPhoto.objects.get()
    assert body["id"] == photo.pk
    assert body["url"] == f"http://testserver/visits/photos/{photo.pk}/"
    assert (body["width"], body["height"], body["uploaded_by"]) == (64, 48, "alice")
    # stored through the storage API under MEDIA_ROOT, by month and a random name (not the phone's)
    assert photo.image.name.startswith("visits/") and photo.image.name.endswith(".jpg")
    assert "IMG_0001" not in photo.image.name
    assert (media / photo.image.name).exists()
    listed = client.get(_photos_url(visit)).json()
    assert listed["count"] == 1
    assert listed["results"] == [body]


def test_a_png_keeps_its_kind(api, cast, visit):
    response = _upload(api(cast["alice"]), visit, image_bytes("PNG"), name="shot.png", content_type="image/png")
    assert response.status_code == 201, response.content
    assert VisitPhoto.objects.get().image.name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"%PDF-1.4 not a photo at all", "contract.pdf", "not an image"),
        (b"\xff\xd8\xff\xe0 a truncated jpeg", "IMG_0002.jpg", "not an image"),
        (b"", "empty.jpg", "empty"),
    ],
)
def test_a_file_that_is_not_an_image_is_a_400_with_a_clear_message(api, cast, visit, content, name, message):
    response = _upload(api(cast["alice"]), visit, content, name=name)
    assert response.status_code == 400
    assert message in " ".join(response.json()["photo"]), response.json()
    assert not VisitPhoto.objects.exists()


def test_a_gif_is_refused_by_its_kind(api, cast, visit):
    response = _upload(api(cast["alice"]), visit, image_bytes("GIF"), name="a.gif", content_type="image/gif")
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in " ".join(response.json()["photo"])


def test_a_photo_over_the_size_limit_is_a_400_saying_the_limit(api, cast, visit, settings):
    settings.VISIT_PHOTO_MAX_BYTES = 1024
    response = _upload(api(cast["alice"]), visit, image_bytes(size=(400, 400)) + b"\0" * 2048)
    assert response.status_code == 400
    assert "up to 0.0009765625 MB" not in str(response.json())
    assert "photos may be up to" in " ".join(response.json()["photo"])
    assert not VisitPhoto.objects.exists()


def test_the_default_size_limit_is_10_mb(settings):
    assert settings.VISIT_PHOTO_MAX_BYTES == 10 * 1024 * 1024


def test_no_photo_is_a_400(api, cast, visit):
    response = api(cast["alice"]).post(_photos_url(visit), {}, format="multipart")
    assert response.status_code == 400
    assert "photo" in response.json()


def test_only_the_visitor_attaches_photos(api, cast, visit):
    TeamRoleFactory(customer=visit.customer, user=cast["bob"], role="service_manager")
    assert _upload(api(cast["bob"]), visit, image_bytes()).status_code == 403
    assert _upload(api(cast["dora"]), visit, image_bytes()).status_code == 403


def test_a_repeated_upload_with_the_same_idempotency_key_stores_one_photo(api, cast, visit):
    client = api(cast["alice"])
    for _ in range(2):
        response = client.post(
            _photos_url(visit),
            {"photo": SimpleUploadedFile("p.jpg", image_bytes(), content_type="image/jpeg")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="visit-1-photo-0",
        )
        assert response.status_code == 201
    assert VisitPhoto.objects.count() == 1


# -- who sees the photos -------------------------------------------------------------------------------------------


@pytest.fixture
def photo(api, cast, visit):
    assert _upload(api(cast["alice"]), visit, image_bytes()).status_code == 201
    return VisitPhoto.objects.get()


@pytest.mark.parametrize("who", ["alice", "dora", "paul", "hq"])
def test_the_photo_is_served_to_those_who_see_the_customer(login, cast, photo, who):
    response = login(cast[who]).get(f"/visits/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == image_bytes()


@pytest.mark.parametrize("who", ["bob", "carol", "gd_paul"])
def test_an_outsider_gets_404_for_the_photo_and_the_list(login, api, cast, photo, who):
    assert login(cast[who]).get(f"/visits/photos/{photo.pk}/").status_code == 404
    assert api(cast[who]).get(_photos_url(photo.visit)).status_code == 404
    assert _upload(api(cast[who]), photo.visit, image_bytes()).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, photo):
    response = client.get(f"/visits/photos/{photo.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert client.get(_photos_url(photo.visit)).status_code == 401


def test_a_script_fetches_the_photo_with_its_token(api, cast, photo):
    assert api(cast["dora"]).get(f"/visits/photos/{photo.pk}/").status_code == 200
    assert api(cast["carol"]).get(f"/visits/photos/{photo.pk}/").status_code == 404


def test_photos_are_not_public_static_files(client, photo, settings):
    assert client.get(f"/{settings.MEDIA_URL}{photo.image.name}").status_code == 404


# -- the visit form ------------------------------------------------------------------------------------------------


def test_the_visit_form_saves_the_check_in_and_the_photos_with_the_visit(login, cast, customers):
    from accounts.models import Customer

    Customer.objects.filter(pk=customers["alice"].pk).update(latitude=30.657, longitude=104.066)
    client = login(cast["alice"])
    form = client.get("/customers/CD0001/visits/new/").content.decode()
    assert 'capture="environment"' in form and 'data-testid="check-in-button"' in form
    response = client.post(
        "/customers/CD0001/visits/new/",
        {
            "kind": "onsite",
            "summary": "现场签到拜访",
            "latitude": "30.6572",
            "longitude": "104.066",
            "accuracy_m": "12",
            "photos": [SimpleUploadedFile(f"p{i}.jpg", image_bytes(), content_type="image/jpeg") for i in range(2)],
        }
        | _when(),
        follow=True,
    )
    assert response.status_code == 200
    visit = Visit.objects.get()
    assert visit.verified and round(visit.distance_m) == 22
    assert visit.photos.count() == 2
    assert "22" in response.content.decode()


def test_a_bad_photo_on_the_form_saves_nothing_and_says_why(login, cast, customers):
    client = login(cast["alice"])
    response = client.post(
        "/customers/CD0001/visits/new/",
        {
            "kind": "onsite",
            "summary": "带了一个坏文件",
            "photos": [SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")],
        }
        | _when(),
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()
    assert not VisitPhoto.objects.exists()


def _when() -> dict:
    from django.utils import timezone

    return {"visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}


def test_the_edit_form_offers_a_check_out_and_records_it(login, cast, customers):
    visit = VisitFactory(customer=customers["alice"], visitor=cast["alice"], latitude=30.657, longitude=104.066)
    client = login(cast["alice"])
    page = client.get(f"/visits/{visit.pk}/edit/").content.decode()
    assert 'data-testid="check-out-button"' in page and 'data-testid="check-in-button"' not in page
    response = client.post(
        f"/visits/{visit.pk}/edit/",
        {
            "kind": "onsite",
            "summary": visit.summary,
            "visitor_role": "customer_manager",
            "checkout_latitude": "30.6571",
            "checkout_longitude": "104.0661",
            "checkout_accuracy_m": "15",
        }
        | _when(),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit.refresh_from_db()
    assert (visit.checkout_latitude, visit.checkout_accuracy_m) == (30.6571, 15)
    assert visit.checked_out_at is not None
    # the check-in itself is not on the edit form: it stays as it was
    assert (visit.latitude, visit.longitude) == (30.657, 104.066)
