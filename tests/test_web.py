"""The drawing page's server, with real HTTP requests, and the page in a real browser."""

import base64
import http.client
import io
import json
import os
import shutil
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sknn_digits import BackpropMLPClassifier
from sknn_digits.web import MAX_BODY_BYTES, make_server
from sknn_digits.workflow import default_pipeline

pytest.importorskip("PIL")  # draw_digits draws with Pillow
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
from draw_digits import STROKES, draw  # noqa: E402


@pytest.fixture(scope="module")
def model():
    """The network ``sknn-digits draw`` trains when given no model."""
    X, y = load_digits(return_X_y=True)
    return default_pipeline(BackpropMLPClassifier(random_state=0)).fit(X, y)


@pytest.fixture(scope="module")
def server(model):
    server = make_server(model, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def _predict(server, payload, content_type="application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    status, kind, data = _request(server, "POST", "/predict", body,
                                  {"Content-Type": content_type})
    assert kind == "application/json"
    return status, json.loads(data)


def _png(image):
    encoded = io.BytesIO()
    image.save(encoded, format="PNG")
    return encoded.getvalue()


def test_a_drawn_digit_is_read_with_its_probabilities(server, model):
    from sknn_digits.preprocessing import DigitImageTransformer

    png = _png(draw(7))
    status, answer = _predict(server, {"image": "data:image/png;base64,"
                                                + base64.b64encode(png).decode()})
    assert status == 200
    # The same answer as the model given the same picture directly.
    expected = model.predict_proba(DigitImageTransformer(layout="digits").transform(
        [np.asarray(draw(7))]))[0]
    np.testing.assert_allclose(answer["probabilities"], expected, atol=1e-6)
    assert answer["prediction"] == 7 == answer["classes"][int(np.argmax(expected))]
    assert answer["classes"] == list(range(10))
    assert np.shape(answer["seen"]) == (8, 8)
    assert [len(layer) for layer in answer["hidden"]] == [25]
    # Plain base64 and a pixel array give the same answer.
    _, plain = _predict(server, {"image": base64.b64encode(png).decode()})
    _, pixels = _predict(server, {"pixels": np.asarray(draw(7)).tolist()})
    assert plain == answer
    np.testing.assert_allclose(pixels["probabilities"], answer["probabilities"], atol=1e-6)


def test_the_model_is_described(server):
    status, kind, body = _request(server, "GET", "/api/model")
    assert status == 200 and kind == "application/json"
    assert json.loads(body) == {"classes": list(range(10)), "layout": "digits", "side": 8,
                                "hidden_layer_sizes": [25]}


@pytest.mark.parametrize("path, kind", [("/", "text/html"), ("/draw.js", "text/javascript"),
                                        ("/draw.css", "text/css")])
def test_the_page_is_served_from_the_package_only(server, path, kind):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    assert response.status == 200 and response.getheader("Content-Type").startswith(kind)
    assert response.getheader("Content-Security-Policy") == "default-src 'self'"
    assert "http://" not in body and "https://" not in body  # nothing from the internet


@pytest.mark.parametrize("payload, status, message", [
    (b"{not json", 400, "not valid JSON"),
    (b"\xff\xfe", 400, "not valid JSON"),
    (b"[1, 2]", 400, 'one of "image"'),
    ({"image": "x", "pixels": [[0]]}, 400, 'one of "image"'),
    ({"image": 42}, 400, "must be a string"),
    ({"image": "not base64!"}, 400, "not base64"),
    ({"image": base64.b64encode(b"plain text, not a picture").decode()}, 422,
     "not an image file"),
    ({"pixels": [[0, 1], [2]]}, 400, "same length"),
    ({"pixels": [[0, 300]]}, 400, "0..255"),
    ({"pixels": np.zeros((600, 2)).tolist()}, 413, "at most 512"),
    ({"pixels": np.full((30, 30), 255).tolist()}, 422, "empty"),
])
def test_bad_drawings_get_one_clear_json_error(server, payload, status, message):
    answer_status, answer = _predict(server, payload)
    assert answer_status == status
    assert message in answer["error"]


def test_oversized_bodies_and_other_requests_are_refused(server):
    # Refused from its Content-Length, before a byte of the body is read.
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.putrequest("POST", "/predict")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413 and "more than the" in json.loads(response.read())["error"]
    connection.close()
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.putrequest("POST", "/predict")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 411 and "Content-Length" in json.loads(response.read())["error"]
    connection.close()
    status, _, body = _request(server, "GET", "/etc/passwd")
    assert status == 404 and json.loads(body)["error"] == "no such page: /etc/passwd"
    status, _, body = _request(server, "POST", "/", b"{}", {"Content-Type": "application/json"})
    assert status == 405
    status, _, body = _request(server, "DELETE", "/predict")
    assert status == 405 and "POST only" in json.loads(body)["error"]
    status, _, body = _request(server, "POST", "/predict", b"{}", {"Content-Type": "text/plain"})
    assert status == 415
    # A keep-alive connection is usable after an error.
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.request("GET", "/nowhere")
    assert connection.getresponse().read()  # the error's JSON, read off the connection
    connection.request("GET", "/api/model")
    assert connection.getresponse().status == 200
    connection.close()


def test_concurrent_requests_each_get_their_own_answer(server):
    digits = [0, 2, 3, 4, 5, 7, 9]
    payloads = [{"image": base64.b64encode(_png(draw(d))).decode()} for d in digits] * 4
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda p: _predict(server, p), payloads))
    alone = [_predict(server, p) for p in payloads[: len(digits)]]
    assert answers == alone * 4
    assert [a[1]["prediction"] for a in alone] == digits


def test_the_server_listens_on_loopback_by_default(model):
    server = make_server(model)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


# ---------------------------------------------------------------- in a browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _browser_or_skip():
    playwright = pytest.importorskip("playwright.sync_api", reason="needs the test extra")
    if not os.path.exists(CHROMIUM):
        reason = ("needs Chromium at /usr/bin/chromium (apt-get install chromium) to drive "
                  "the page in a browser")
        if os.environ.get("SKNN_DIGITS_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    return playwright


def _draw_with_the_mouse(page, digit):
    """Trace ``draw_digits``' strokes for ``digit`` with real mouse events."""
    box = page.locator("#pad").bounding_box()
    scale = box["height"] / 130  # the strokes' page is 100 x 120
    for stroke in STROKES[digit]:
        points = [(box["x"] + (x + 15) * scale, box["y"] + (y + 5) * scale) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=3)
        page.mouse.up()


def _shown(page, expect):
    """The digit and the probabilities the page shows once its last request is answered."""
    expect(page.locator("body")).to_have_attribute("data-busy", "false")
    expect(page.locator("#prediction")).not_to_have_text("–")
    probabilities = page.eval_on_selector_all(
        "#bars li", "items => items.map(i => Number(i.dataset.probability))")
    return page.text_content("#prediction"), probabilities


@pytest.mark.slow
def test_the_page_in_a_browser(server, tmp_path):
    sync_api = _browser_or_skip()
    host, port = server.server_address[:2]
    external = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 700})
            page.on("request", lambda r: r.url.startswith(f"http://{host}:{port}/")
                    or external.append(r.url))
            failed = []  # the favicon included: every request the page makes is answered
            page.on("response", lambda r: r.status >= 400 and failed.append((r.url, r.status)))
            page.goto(f"http://{host}:{port}/")
            page.wait_for_selector("body[data-ready=true]")
            assert page.text_content("#prediction") == "–"
            # The hidden units' grid is explained on the page, in words anyone can read.
            note = page.locator("#hidden-note")
            sync_api.expect(note).to_be_visible()
            assert "Each square is one hidden unit" in note.text_content()
            assert "white near 1, black near 0" in note.text_content()
            for digit in (7, 0):
                _draw_with_the_mouse(page, digit)
                shown, probabilities = _shown(page, sync_api.expect)
                # What the page shows is the server's answer for the page's own drawing.
                drawing = page.evaluate("document.getElementById('pad').toDataURL('image/png')")
                _, answer = _predict(server, {"image": drawing})
                assert shown == str(answer["prediction"]) == str(digit)
                np.testing.assert_allclose(probabilities, answer["probabilities"], atol=1e-6)
                assert sum(probabilities) == pytest.approx(1, abs=1e-4)
                if digit == 7:
                    page.screenshot(path=os.environ.get("SKNN_DIGITS_SCREENSHOT",
                                                        tmp_path / "draw.png"))
                page.click("#clear")
                sync_api.expect(page.locator("#prediction")).to_have_text("–")
            # The keyboard alone: focus the pad, type a digit, clear with Escape.
            page.focus("#pad")
            page.keyboard.press("4")
            assert _shown(page, sync_api.expect)[0] == "4"
            page.keyboard.press("Escape")
            sync_api.expect(page.locator("#prediction")).to_have_text("–")
            # A phone-sized screen: nothing wider than the screen.
            page.set_viewport_size({"width": 360, "height": 740})
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.goto(f"http://{host}:{port}/favicon.ico")  # what a browser asks for anyway
        finally:
            browser.close()
    assert external == []  # nothing loaded from anywhere else
    assert failed == []


def test_a_server_without_its_model_yet_answers_503(model):
    from sknn_digits.web import DigitReader

    server = make_server(None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        status, _, body = _request(server, "GET", "/api/model")
        assert status == 503 and "not ready" in json.loads(body)["error"]
        assert _request(server, "GET", "/")[0] == 200  # the page itself is there
        server.reader = DigitReader(model)
        assert _request(server, "GET", "/api/model")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_any_classifier_is_read_without_hidden_units():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    from sknn_digits.web import DigitReader

    X, y = load_digits(return_X_y=True)
    reader = DigitReader(make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=2000))
                         .fit(X, y))
    answer = reader.read(np.asarray(draw(0)))
    assert answer["hidden"] is None and reader.describe()["hidden_layer_sizes"] == []
    assert answer["prediction"] == 0


def test_a_model_that_records_no_input_range_is_refused_not_guessed():
    """A bare classifier keeps no record of its rows' range: reading a drawing for it would
    be a guess (0..16, 0..1 or 0..255?), so the reader refuses."""
    from sklearn.linear_model import LogisticRegression

    from sknn_digits.web import DigitReader

    X, y = load_digits(return_X_y=True)
    with pytest.raises(ValueError, match="does not record the range"):
        DigitReader(LogisticRegression(max_iter=2000).fit(X, y))


def test_the_course_network_reads_a_drawing(course_weights_file):
    from sknn_digits.datasets import load_ex4_model
    from sknn_digits.preprocessing import COURSE_PICTURES
    from sknn_digits.web import DigitReader

    reader = DigitReader(load_ex4_model(course_weights_file), COURSE_PICTURES)
    answer = reader.read(np.asarray(draw(3)))
    assert answer["prediction"] == 3 and np.shape(answer["seen"]) == (20, 20)
    assert [len(layer) for layer in answer["hidden"]] == [25]
    assert reader.describe()["layout"] == "ex4"


# ---------------------------------------------------------------- what the web may not do


def _raw(server, data, wait=5.0):
    """Send raw bytes on a fresh connection; what comes back before it closes (or ``wait``)."""
    import socket

    with socket.create_connection(server.server_address[:2], timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def test_another_host_name_is_refused_dns_rebinding(server):
    port = server.server_address[1]
    for host in (f"evil.example:{port}", "evil.test", f"[::2]:{port}", "local host"):
        status, _, body = _request(server, "GET", "/api/model", headers={"Host": host})
        assert status == 400 and b"Invalid host header" in body, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert _request(server, "GET", "/api/model", headers={"Host": host})[0] == 200


def test_a_post_from_another_sites_page_is_refused(server):
    port = server.server_address[1]
    payload = json.dumps({"pixels": np.asarray(draw(1)).tolist()}).encode()
    status, _, body = _request(server, "POST", "/predict", payload,
                               {"Content-Type": "application/json",
                                "Origin": "http://evil.example"})
    assert status == 403 and "only the drawing page" in json.loads(body)["error"]
    status, _, _ = _request(server, "POST", "/predict", payload,
                            {"Content-Type": "application/json",
                             "Origin": f"http://localhost:{port}"})
    assert status == 200


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"pixels": ' + b"9" * 5000 + b"}"])
def test_hostile_json_gets_a_json_400(server, body):
    status, answer = _predict(server, body)
    assert status == 400 and "does not read" in answer["error"]
    assert _request(server, "GET", "/api/model")[0] == 200  # still serving


def test_only_the_usual_picture_formats_are_decoded(server):
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    status, answer = _predict(server, {"image": base64.b64encode(eps).decode()})
    assert status == 422 and "PNG, JPEG, GIF, BMP, WEBP" in answer["error"]
    assert "BytesIO" not in answer["error"]
    for kind in ("JPEG", "GIF", "BMP", "WEBP"):
        encoded = io.BytesIO()
        draw(7).convert("RGB").save(encoded, format=kind)
        status, answer = _predict(server, {"image": base64.b64encode(encoded.getvalue())
                                           .decode()})
        assert status == 200, (kind, answer)


def test_a_huge_picture_is_refused_from_its_header(server):
    from PIL import Image

    from sknn_digits.web import MAX_DRAWING_PIXELS

    encoded = io.BytesIO()
    Image.new("L", (4000, 3999), 255).save(encoded, format="PNG", optimize=True)
    assert len(encoded.getvalue()) < MAX_BODY_BYTES  # small on the wire, 16 MP inside
    status, answer = _predict(server, {"image": base64.b64encode(encoded.getvalue()).decode()})
    assert status == 413 and f"{MAX_DRAWING_PIXELS / 1e6:.3g} megapixels" in answer["error"]


@pytest.mark.slow
def test_head_favicon_and_errors_are_as_documented(server):
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    connection.request("HEAD", "/")
    response = connection.getresponse()
    assert response.status == 200 and response.read() == b""
    connection.close()
    status, kind, body = _request(server, "GET", "/favicon.ico")
    assert status == 200 and kind == "image/x-icon" and body[:4] == b"\0\0\1\0"
    # An oversized body announced with "Expect: 100-continue" is refused, never continued.
    reply = _raw(server, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                 b"Expect: 100-continue\r\n\r\n" % (server.server_address[1], MAX_BODY_BYTES + 1),
                 wait=3)
    assert reply.startswith(b"HTTP/1.1 413") and b"100 Continue" not in reply


@pytest.mark.slow
def test_idle_and_slow_connections_are_dropped(server):
    import socket
    import time

    from sknn_digits.web import REQUEST_TIMEOUT

    start = time.monotonic()
    with socket.create_connection(server.server_address[:2], timeout=REQUEST_TIMEOUT + 10) as idle:
        assert idle.recv(1) == b""  # closed by the server, nothing sent
    assert time.monotonic() - start < REQUEST_TIMEOUT + 5
    start = time.monotonic()
    with socket.create_connection(server.server_address[:2], timeout=REQUEST_TIMEOUT + 10) as slow:
        try:
            for byte in b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n":  # a byte a second
                slow.sendall(bytes([byte]))
                time.sleep(1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert slow.recv(1) == b""
    assert time.monotonic() - start < REQUEST_TIMEOUT + 5


@pytest.mark.slow
def test_a_body_shorter_than_announced_times_out_with_408(server):
    port = server.server_address[1]
    reply = _raw(server, b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{" % port,
                 wait=20)
    assert reply.startswith(b"HTTP/1.1 408") and b"did not arrive" in reply


@pytest.mark.slow
def test_big_drawings_under_a_memory_cap_all_get_an_answer(tmp_path):
    """Eight clients send the largest drawings at once to a server limited to 3 GiB."""
    import subprocess

    script = tmp_path / "capped.py"
    script.write_text(
        "import resource, sys, threading\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))\n"
        "from sklearn.datasets import load_digits\n"
        "from sknn_digits import BackpropMLPClassifier\n"
        "from sknn_digits.web import make_server\n"
        "from sknn_digits.workflow import default_pipeline\n"
        "model = default_pipeline(BackpropMLPClassifier(max_iter=20, random_state=0))"
        ".fit(*load_digits(return_X_y=True))\n"
        "server = make_server(model)\n"
        "print(server.server_address[1], flush=True)\n"
        "server.serve_forever()\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                               env=env)
    try:
        port = int(process.stdout.readline())
        from PIL import Image

        from sknn_digits.web import MAX_DRAWING_PIXELS

        side = int(MAX_DRAWING_PIXELS**0.5)
        image = Image.new("L", (side, side), 255)
        image.paste(0, (side // 3, side // 4, side // 2, 3 * side // 4))  # a thick bar
        encoded = io.BytesIO()
        image.save(encoded, format="PNG", optimize=True)
        body = json.dumps({"image": base64.b64encode(encoded.getvalue()).decode()}).encode()

        def send(_):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, json.loads(response.read())
            finally:
                connection.close()

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(8)))
        assert all(status in (200, 503) for status, _ in answers), answers
        assert any(status == 200 for status, _ in answers)
        assert process.poll() is None  # the server is alive
    finally:
        process.terminate()
        process.wait(30)


def test_a_server_on_every_address_accepts_ip_hosts_but_not_names(model):
    server = make_server(model, "0.0.0.0", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        for host, status in ((f"192.168.1.20:{port}", 200), (f"127.0.0.1:{port}", 200),
                             (f"[fe80::1]:{port}", 200), (f"evil.example:{port}", 400)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/model", headers={"Host": host})
            assert connection.getresponse().status == status, host
            connection.close()
        payload = json.dumps({"pixels": np.asarray(draw(1)).tolist()}).encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/predict", payload,
                           {"Content-Type": "application/json",
                            "Host": f"192.168.1.20:{port}",
                            "Origin": f"http://192.168.1.20:{port}"})
        assert connection.getresponse().status == 200
        connection.close()
        for origin, status in ((f"http://192.168.1.20:{port + 1}", 403),
                               ("http://evil.example", 403)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("POST", "/predict", payload,
                               {"Content-Type": "application/json", "Origin": origin})
            assert connection.getresponse().status == status, origin
            connection.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_pixel_too_large_for_a_float_is_a_400_not_a_500():
    """A 4,000-digit integer in "pixels" raised OverflowError: a 500."""
    from http import HTTPStatus

    from sknn_digits.web import RequestError, parse_drawing

    body = ('{"pixels": [[' + "9" * 4000 + ", 0], [0, 0]]}").encode()
    with pytest.raises(RequestError, match="rows of numbers") as refused:
        parse_drawing(body)
    assert refused.value.status == HTTPStatus.BAD_REQUEST


def test_idle_sockets_do_not_turn_the_pages_requests_away(server):
    """200 idle sockets from one local program made 48 of 48 real requests get 503 when
    128 connections were the cap."""
    import socket

    idle = []
    try:
        for _ in range(200):
            idle.append(socket.create_connection(server.server_address[:2], timeout=5))
        statuses = [_request(server, "GET", "/api/model")[0] for _ in range(24)]
    finally:
        for connection in idle:
            connection.close()
    assert statuses == [200] * 24


def test_the_connection_cap_stays_within_the_files_the_process_may_open(monkeypatch):
    import resource

    from sknn_digits import web

    monkeypatch.setattr(resource, "getrlimit", lambda which: (1024, 4096))
    assert web.connection_limit() == 1024 - 64
    monkeypatch.setattr(resource, "getrlimit", lambda which: (10**6, 10**6))
    assert web.connection_limit() == web.MAX_CONNECTIONS >= 1024


def test_a_png_whose_decoder_fails_gets_the_pictures_422(server):
    """Pillow's PNG reader raises SyntaxError for a broken chunk: the picture's 422, not a 500."""
    from PIL import Image

    encoded = io.BytesIO()
    Image.fromarray(np.full((40, 30), 200, dtype=np.uint8)).save(encoded, format="PNG",
                                                                  compress_level=0)
    broken = bytearray(encoded.getvalue())
    broken[35] = 0  # the pixel chunk's length: the next chunk is read from the wrong place
    status, answer = _predict(server, {"image": base64.b64encode(bytes(broken)).decode()})
    assert status == 422 and "not an image file" in answer["error"]
    assert _request(server, "GET", "/api/model")[0] == 200  # still serving
