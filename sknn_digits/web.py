"""A page to draw a digit on and watch a network read it (``sknn-digits draw``).

One user on one machine: the standard library's threading HTTP server, on
loopback unless told otherwise.  The page, its script and its style sheet are
files of this package; nothing is loaded from the internet (the pages say so
to the browser with a Content-Security-Policy of ``'self'``).  The server
never writes a file.

Routes
------
``GET /``, ``GET /draw.js``, ``GET /draw.css``
    The page.
``GET /api/model``
    What the page needs to know about the model, as JSON: ``classes``,
    ``layout``, ``side`` (of the image the network sees) and
    ``hidden_layer_sizes`` (empty when the model's hidden units cannot be
    shown).
``POST /predict``
    A JSON object with either ``"image"``, an encoded picture (PNG, JPEG,
    ... as base64 or a ``data:`` URL, as a canvas's ``toDataURL`` gives), or
    ``"pixels"``, rows of grey levels 0 (black) .. 255 (white).  Ink may be
    dark on light or light on dark.  The answer::

        {"prediction": 3, "classes": [0, ..., 9], "probabilities": [...],
         "seen": [[...], ...], "hidden": [[...], ...]}

    ``seen`` is the image the network is given (rows of 0..1, upright),
    ``hidden`` each hidden layer's activations (``null`` for a model whose
    hidden units cannot be shown).

Errors are JSON too, ``{"error": "..."}``, with a 4xx status: 400 for a body
that is not the JSON above, 404 for any other path, 405 for another method,
411 without a ``Content-Length``, 413 for a body over
:data:`MAX_BODY_BYTES`, 415 for a body that is not ``application/json`` and
422 for a picture that cannot be read or holds no ink; 503 while the model
is not ready.
"""

import base64
import binascii
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import numpy as np

from ._models import json_label, split_pipeline
from .preprocessing import DigitImageTransformer, decode_image, guess_layout, images_to_features

__all__ = ["MAX_BODY_BYTES", "MAX_PIXELS_SIDE", "DigitReader", "make_server"]

#: The largest request body the server reads: 1 MiB, some thirty times a
#: 280x280 drawing's PNG.  Larger requests are refused unread.
MAX_BODY_BYTES = 1 << 20

#: The largest side of a ``"pixels"`` array.
MAX_PIXELS_SIDE = 512

#: The page's files: path -> (file in ``sknn_digits/static``, content type).
STATIC = {
    "/": ("draw.html", "text/html; charset=utf-8"),
    "/draw.js": ("draw.js", "text/javascript; charset=utf-8"),
    "/draw.css": ("draw.css", "text/css; charset=utf-8"),
}


class RequestError(Exception):
    """A request the server refuses, with its HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class DigitReader:
    """What the page shows for a drawing, from a fitted classifier.

    Parameters
    ----------
    model : classifier or Pipeline
        Fitted, with ``predict_proba`` and ``n_features_in_`` of 64, 400 or
        784 (a digit layout).  When it is a
        :class:`~sknn_digits.BackpropMLPClassifier`, or a pipeline ending in
        one, its hidden units are shown too.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.web import DigitReader
    >>> X, y = load_digits(return_X_y=True)
    >>> reader = DigitReader(BackpropMLPClassifier(max_iter=50, random_state=0).fit(X, y))
    >>> page = np.full((60, 40), 255, dtype=np.uint8)
    >>> page[10:50, 16:24] = 0                  # a black bar: a "1"?
    >>> answer = reader.read(page)
    >>> sorted(answer), len(answer["seen"]), [len(h) for h in answer["hidden"]]
    (['classes', 'hidden', 'prediction', 'probabilities', 'seen'], 8, [25])
    """

    def __init__(self, model):
        self.model = model
        self.layout = guess_layout(model.n_features_in_)
        self.transformer = DigitImageTransformer(layout=self.layout)
        self.network, self.before = _network_of(model)
        self.classes = [json_label(label) for label in model.classes_]

    def describe(self):
        """The model as the page needs it (``GET /api/model``)."""
        sizes = [] if self.network is None else [len(b) for b in self.network.intercepts_[:-1]]
        return {"classes": self.classes, "layout": self.layout,
                "side": int(np.sqrt(self.model.n_features_in_)), "hidden_layer_sizes": sizes}

    def read(self, pixels):
        """The network's answer for one picture (``POST /predict``)."""
        seen = self.transformer.transform_images([pixels])
        features = images_to_features(seen, self.layout)
        if self.network is None:
            probabilities, hidden = self.model.predict_proba(features)[0], None
        else:  # one forward pass gives both
            X = features if self.before is None else self.before.transform(features)
            layers, probabilities = self.network.activations(X)
            probabilities, hidden = probabilities[0], [np.round(a[0], 4).tolist()
                                                       for a in layers]
        return {
            "prediction": self.classes[int(np.argmax(probabilities))],
            "classes": self.classes,
            "probabilities": [round(float(p), 6) for p in probabilities],
            "seen": np.round(seen[0], 4).tolist(),
            "hidden": hidden,
        }


def _network_of(model):
    """The BackpropMLPClassifier at the end of ``model`` and the steps before it, if any."""
    from .estimator import BackpropMLPClassifier

    before, last = split_pipeline(model)
    if not isinstance(last, BackpropMLPClassifier):
        return None, None
    return last, before


# ---------------------------------------------------------------- requests


def parse_drawing(body):
    """The picture in a ``POST /predict`` body, as an array for the transformer."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON ({error}).")
    if not isinstance(request, dict) or len({"image", "pixels"} & request.keys()) != 1:
        raise RequestError(HTTPStatus.BAD_REQUEST,
                           'send a JSON object with one of "image" (an encoded picture, '
                           'base64 or a data: URL) or "pixels" (rows of grey levels 0..255).')
    if "image" in request:
        return _decode_image_field(request["image"])
    return _pixels_field(request["pixels"])


def _decode_image_field(text):
    if not isinstance(text, str):
        raise RequestError(HTTPStatus.BAD_REQUEST, '"image" must be a string.')
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise RequestError(HTTPStatus.BAD_REQUEST,
                               'an "image" data: URL must be base64 encoded.')
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise RequestError(HTTPStatus.BAD_REQUEST, f'"image" is not base64 ({error}).')
    try:
        return decode_image(data, name='"image"')
    except ValueError as error:
        raise RequestError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))


def _pixels_field(rows):
    try:
        pixels = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        pixels = None
    if pixels is None or pixels.ndim != 2 or 0 in pixels.shape:
        raise RequestError(HTTPStatus.BAD_REQUEST,
                           '"pixels" must be rows of numbers, all of the same length.')
    if max(pixels.shape) > MAX_PIXELS_SIDE:
        raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f'"pixels" may be at most {MAX_PIXELS_SIDE} on a side, '
                           f"got {pixels.shape[0]}x{pixels.shape[1]}.")
    if not np.all(np.isfinite(pixels)) or pixels.min() < 0 or pixels.max() > 255:
        raise RequestError(HTTPStatus.BAD_REQUEST, '"pixels" must be grey levels 0..255.')
    return pixels / 255.0


class _Handler(BaseHTTPRequestHandler):
    """The page's routes; ``server.reader`` answers the drawings."""

    server_version = "sknn-digits"
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 - the standard library's name
        self._answer(self._get)

    def do_POST(self):  # noqa: N802
        self._answer(self._post)

    def do_PUT(self):  # noqa: N802
        self._answer(self._other)

    do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_PUT  # noqa: N815

    def _answer(self, route):
        try:
            route()
        except RequestError as error:
            self.close_connection = True  # a body may be left unread
            self._send_json({"error": str(error)}, error.status)

    def _reader(self):
        if self.server.reader is None:
            raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE,
                               "the model is not ready yet; try again in a moment.")
        return self.server.reader

    def _get(self):
        path = self.path.split("?", 1)[0]
        if path == "/api/model":
            return self._send_json(self._reader().describe())
        if path == "/predict":
            raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, "POST a drawing to /predict.")
        if path not in STATIC:
            raise RequestError(HTTPStatus.NOT_FOUND, f"no such page: {path}")
        name, content_type = STATIC[path]
        self._send(resources.files(__package__).joinpath("static", name).read_bytes(),
                   content_type)

    def _post(self):
        if self.path.split("?", 1)[0] != "/predict":
            return self._other()  # raises: another path, or a method it does not answer
        body = self._body()
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                               "send the drawing as JSON (Content-Type: application/json).")
        pixels = parse_drawing(body)
        try:
            answer = self._reader().read(pixels)
        except ValueError as error:  # a picture without ink, an unusable shape
            raise RequestError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error))
        self._send_json(answer)

    def _other(self):
        path = self.path.split("?", 1)[0]
        if path in STATIC or path == "/api/model":
            raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} answers GET only.")
        if path == "/predict":
            raise RequestError(HTTPStatus.METHOD_NOT_ALLOWED, "/predict answers POST only.")
        raise RequestError(HTTPStatus.NOT_FOUND, f"no such page: {path}")

    def _body(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length.")
        try:
            length = int(length)
        except ValueError:
            length = -1
        if length < 0:
            raise RequestError(HTTPStatus.BAD_REQUEST, "Content-Length must be a whole number.")
        if length > MAX_BODY_BYTES:  # refused unread
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                               f"the body has {length} bytes, more than the "
                               f"{MAX_BODY_BYTES} a drawing may have.")
        return self.rfile.read(length)

    def _send_json(self, value, status=HTTPStatus.OK):
        self._send(json.dumps(value).encode(), "application/json", status)

    def _send(self, body, content_type, status=HTTPStatus.OK):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", "default-src 'self'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 - the standard library's name
        """Quiet: the page's requests are not the user's business."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, reader):
        self.reader = reader
        super().__init__(address, _Handler)


def make_server(model, host="127.0.0.1", port=0):
    """An HTTP server for the drawing page, bound but not yet serving.

    Call ``serve_forever()`` on it (in a thread, or until Ctrl-C) and
    ``server_close()`` when done; ``server.server_address`` holds the port
    chosen when ``port`` is 0.  ``model`` may be ``None`` to bind the port
    before a model is ready: until ``server.reader = DigitReader(model)`` is
    set, the API answers 503.

    Examples
    --------
    >>> import json, threading, urllib.request
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.web import make_server
    >>> X, y = load_digits(return_X_y=True)
    >>> server = make_server(BackpropMLPClassifier(max_iter=50, random_state=0).fit(X, y))
    >>> thread = threading.Thread(target=server.serve_forever, daemon=True)
    >>> thread.start()
    >>> host, port = server.server_address[:2]
    >>> with urllib.request.urlopen(f"http://{host}:{port}/api/model") as response:
    ...     json.load(response)["layout"]
    'digits'
    >>> server.shutdown(); server.server_close()
    """
    return _Server((host, port), None if model is None else DigitReader(model))


def serve(server, stop=None):
    """Serve until ``stop`` is set or Ctrl-C; the server is closed either way."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        server.server_close()
