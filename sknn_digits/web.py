"""A page to draw a digit on and watch a network read it (``sknn-digits draw``).

One user on one machine: a Starlette application served by uvicorn (the
``web`` extra), on loopback unless told otherwise.  The page, its script,
style sheet and icon are files of this package; nothing is loaded from the
internet (the pages say so to the browser with a Content-Security-Policy of
``'self'``).  The server never writes a file.

Routes
------
``GET /``, ``GET /draw.js``, ``GET /draw.css``, ``GET /favicon.ico``
    The page.
``GET /api/model``
    What the page needs to know about the model, as JSON: ``classes``,
    ``layout``, ``side`` (of the image the network sees) and
    ``hidden_layer_sizes`` (empty when the model's hidden units cannot be
    shown).
``POST /predict``
    A JSON object with either ``"image"``, an encoded PNG, JPEG, GIF, BMP or
    WebP picture (base64 or a ``data:`` URL, as a canvas's ``toDataURL``
    gives), or ``"pixels"``, rows of grey levels 0 (black) .. 255 (white).
    Ink may be dark on light or light on dark.  The answer::

        {"prediction": 3, "classes": [0, ..., 9], "probabilities": [...],
         "seen": [[...], ...], "hidden": [[...], ...]}

    ``seen`` is the image the network is given (rows of 0..1, upright),
    ``hidden`` each hidden layer's activations (``null`` for a model whose
    hidden units cannot be shown).

Errors are JSON, ``{"error": "..."}``: 400 for a body that is not the JSON
above, 403 for a ``POST`` from
another site's page (its ``Origin``), 404 for any other path, 405 for another
method, 408 for a body that does not arrive within :data:`REQUEST_TIMEOUT`,
411 without a ``Content-Length``, 413 for a body over :data:`MAX_BODY_BYTES`
or a picture over :data:`MAX_DRAWING_PIXELS`, 415 for a body that is not
``application/json``, 422 for a picture that cannot be read or holds no ink,
503 (with ``Retry-After``) while the model is not ready or when more than
:data:`MAX_PREDICTIONS` drawings wait.  Requests too malformed to reach the
routes (broken HTTP, oversized headers) get uvicorn's plain-text 400, and a
``Host`` that is not this server's Starlette's plain-text 400.

Limits
------
The web cannot reach the page through the user's browser: only the loopback
names and the address the server is bound to are accepted as ``Host`` (a
DNS-rebinding page's name is refused), and a ``POST`` must come from the
page itself.  Each connection has :data:`REQUEST_TIMEOUT` seconds to send a
request's headers and body and :data:`IDLE_TIMEOUT` seconds between
requests; at most :data:`MAX_CONNECTIONS` connections are served at once
(uvicorn answers 503 beyond), with a listen backlog of :data:`BACKLOG`.
"""

import base64
import binascii
import ipaddress
import json
import os
import socket
import threading
from http import HTTPStatus
from importlib import resources

import numpy as np

from ._data import json_label
from .images import IMAGE_FORMATS
from .preprocessing import (
    DigitImageTransformer,
    decode_image,
    images_to_features,
    picture_input,
    split_pipeline,
)

__all__ = ["BACKLOG", "IDLE_TIMEOUT", "IMAGE_FORMATS", "MAX_BODY_BYTES", "MAX_CONNECTIONS",
           "MAX_DRAWING_PIXELS", "MAX_PIXELS_SIDE", "MAX_PREDICTIONS", "REQUEST_TIMEOUT",
           "DigitReader", "DrawingApp", "DrawingServer", "make_app", "make_server", "serve"]

#: The largest request body the server reads: 1 MiB, some thirty times a
#: 280x280 drawing's PNG.  Larger requests are refused unread.
MAX_BODY_BYTES = 1 << 20

#: The largest side of a ``"pixels"`` array.
MAX_PIXELS_SIDE = 512

#: The most pixels an ``"image"`` may have, read from its header before it is
#: decoded: 2048 x 2048, far more than a drawing needs.  Decoding one takes
#: some 100 MB; a 1 MiB PNG could otherwise declare 16 megapixels and cost 1 GB.
MAX_DRAWING_PIXELS = 2048 * 2048

#: Drawings read at once (one per core), and how many more may wait their turn;
#: beyond that a drawing is answered 503 with ``Retry-After``.
PREDICTIONS_AT_ONCE = max(1, min(4, os.cpu_count() or 1))
MAX_PREDICTIONS = PREDICTIONS_AT_ONCE + 16

#: Seconds a connection has to send a whole request (headers and body).
REQUEST_TIMEOUT = 10
#: Seconds a kept-alive connection may wait idle between requests.
IDLE_TIMEOUT = 5
#: Connections served at once; uvicorn answers 503 beyond.  Far more than the
#: page needs: an idle connection costs a few KB until its deadline drops it,
#: and a low cap let one local program's idle sockets turn every real request
#: away.  Bounded by the file descriptors the process may open.
MAX_CONNECTIONS = 4096
#: Connections the kernel queues before the server accepts them.
BACKLOG = 128

#: The page's files: path -> (file in ``sknn_digits/static``, content type).
STATIC = {
    "/": ("draw.html", "text/html; charset=utf-8"),
    "/draw.js": ("draw.js", "text/javascript; charset=utf-8"),
    "/draw.css": ("draw.css", "text/css; charset=utf-8"),
    "/favicon.ico": ("favicon.ico", "image/x-icon"),
}

EXTRA = 'The drawing page needs Starlette and uvicorn: pip install "sknn_digits[web]"'


class RequestError(Exception):
    """A request the server refuses, with its HTTP status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- requests


def parse_drawing(body):
    """The picture in a ``POST /predict`` body, as an array for the transformer."""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(HTTPStatus.BAD_REQUEST,
                           f"the body is not valid JSON ({error}).") from None
    except (RecursionError, ValueError) as error:  # nested too deep, an integer too long
        raise RequestError(HTTPStatus.BAD_REQUEST,
                           f"the body is JSON this server does not read ({type(error).__name__}"
                           ": nested too deep or a number too long).") from None
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
        raise RequestError(HTTPStatus.BAD_REQUEST, f'"image" is not base64 ({error}).') from None
    try:
        return decode_image(data, name='"image"', formats=IMAGE_FORMATS,
                            max_pixels=MAX_DRAWING_PIXELS)
    except ValueError as error:
        if "megapixels" in str(error):
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(error)) from None
        raise RequestError(HTTPStatus.UNPROCESSABLE_ENTITY,
                           f'"image" is not an image file that can be read: a picture in '
                           f"one of {', '.join(IMAGE_FORMATS)}.") from None


def _pixels_field(rows):
    try:
        pixels = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # an integer too large for a float too
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


# ---------------------------------------------------------------- the application


def _error(status, message, headers=None):
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, int(status), headers=headers)


def _ip_literal(netloc):
    """Whether ``netloc`` (``host[:port]``) names an IP address rather than a host name."""
    from urllib.parse import urlsplit

    try:
        ipaddress.ip_address(urlsplit(f"//{netloc}").hostname or "")
    except ValueError:
        return False
    return True


def _middleware(hosts, origins, any_address_port):
    """The Host check (Starlette's ``TrustedHostMiddleware``) and the Origin check.

    A page on another site cannot use the server through the user's browser:
    its requests carry that site's name as ``Host`` (DNS rebinding) or its own
    ``Origin`` (a ``POST`` from any page but the server's own is refused).  A
    server bound to every address (``--host 0.0.0.0``) also accepts any IP
    address: DNS rebinding needs a name, and the machine's addresses on the
    network are not known in advance.
    """
    from starlette.datastructures import Headers
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    class TrustedHosts(TrustedHostMiddleware):
        async def __call__(self, scope, receive, send):
            if any_address_port is not None and scope["type"] == "http" \
                    and _ip_literal(Headers(scope=scope).get("host", "")):
                return await self.app(scope, receive, send)
            return await super().__call__(scope, receive, send)

    def same_site(origin):
        if origin in origins:
            return True
        return (any_address_port is not None and origin.startswith("http://")
                and _ip_literal(origin[7:])
                and origin.rpartition(":")[2] == str(any_address_port))

    class OriginCheck:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
            if origin is not None and scope["method"] not in ("GET", "HEAD") \
                    and not same_site(origin.lower()):
                response = _error(HTTPStatus.FORBIDDEN, f"requests from {origin} are not "
                                  "answered: only the drawing page itself may send drawings.")
                return await response(scope, receive, send)
            return await self.app(scope, receive, send)

    return [Middleware(TrustedHosts, allowed_hosts=sorted(hosts), www_redirect=False),
            Middleware(OriginCheck)]


# ---------------------------------------------------------------- one drawing's answer

class DigitReader:
    """What the page shows for a drawing, from a fitted classifier.

    Parameters
    ----------
    model : classifier or Pipeline
        Fitted, with ``predict_proba`` and ``n_features_in_`` of 64, 400 or
        784 (a digit layout).  When it is a
        :class:`~sknn_digits.BackpropMLPClassifier`, or a pipeline ending in
        one, its hidden units are shown too.
    pictures : PictureInput, optional
        How the model wants a picture as a row; by default
        :func:`~sknn_digits.preprocessing.picture_input` reads it from the
        model, and a model that does not record it is refused (ValueError).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.web import DigitReader
    >>> from sknn_digits.workflow import default_pipeline
    >>> X, y = load_digits(return_X_y=True)
    >>> model = default_pipeline(BackpropMLPClassifier(max_iter=50, random_state=0)).fit(X, y)
    >>> reader = DigitReader(model)
    >>> page = np.full((60, 40), 255, dtype=np.uint8)
    >>> page[10:50, 16:24] = 0                  # a black bar: a "1"?
    >>> answer = reader.read(page)
    >>> sorted(answer), len(answer["seen"]), [len(h) for h in answer["hidden"]]
    (['classes', 'hidden', 'prediction', 'probabilities', 'seen'], 8, [25])
    """

    def __init__(self, model, pictures=None):
        self.model = model
        self.pictures = picture_input(model) if pictures is None else pictures
        self.layout = self.pictures.layout
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
        features = self.pictures.rows(images_to_features(seen, self.layout))
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


# ---------------------------------------------------------------- serving it

#: Headers every answer of the page carries.
SECURITY_HEADERS = {"Content-Security-Policy": "default-src 'self'",
                    "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


class DrawingApp:
    """The page's routes: the static page, ``GET /api/model`` and ``POST /predict``.

    Parameters
    ----------
    state : object
        Holds ``reader``: the :class:`DigitReader` answering drawings, or
        None while the model is not ready (the API answers 503).
    """

    def __init__(self, state):
        import anyio

        self.state = state
        self.running = anyio.CapacityLimiter(PREDICTIONS_AT_ONCE)
        self.waiting = 0  # drawings admitted and not yet answered

    def reader(self):
        """The reader, or 503 while the model is not ready."""
        if self.state.reader is None:
            raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE,
                               "the model is not ready yet; try again in a moment.")
        return self.state.reader

    async def page(self, request):
        from starlette.responses import Response

        name, content_type = STATIC[request.url.path]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(body, media_type=content_type, headers=SECURITY_HEADERS)

    async def model(self, request):
        from starlette.responses import JSONResponse

        return JSONResponse(self.reader().describe(), headers=SECURITY_HEADERS)

    async def predict(self, request):
        import anyio
        from starlette.responses import JSONResponse

        self.reader()  # 503 at once while the model is not ready
        body = await read_body(request)
        if self.waiting >= MAX_PREDICTIONS:
            raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE,
                               f"{MAX_PREDICTIONS} drawings are being read; try again.")
        self.waiting += 1
        try:  # decoding and the network run in worker threads, a few at a time
            result = await anyio.to_thread.run_sync(self.answer, body, limiter=self.running)
        finally:
            self.waiting -= 1
        return JSONResponse(result, headers=SECURITY_HEADERS)

    def answer(self, body):
        """What the page shows for the drawing in ``body`` (runs in a worker thread)."""
        pixels = parse_drawing(body)
        try:
            return self.reader().read(pixels)
        except ValueError as error:  # a picture without ink, an unusable shape
            raise RequestError(HTTPStatus.UNPROCESSABLE_ENTITY, str(error)) from None


async def read_body(request):
    """A ``POST /predict`` body: announced, JSON, within its size and deadline."""
    import anyio

    length = request.headers.get("content-length")
    if length is None:
        raise RequestError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length.")
    if not length.isdigit():
        raise RequestError(HTTPStatus.BAD_REQUEST, "Content-Length must be a whole number.")
    if int(length) > MAX_BODY_BYTES:  # refused unread (no "100 Continue" is sent)
        raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           f"the body has {int(length)} bytes, more than the "
                           f"{MAX_BODY_BYTES} a drawing may have.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                           "send the drawing as JSON (Content-Type: application/json).")
    chunks, size = [], 0
    with anyio.move_on_after(REQUEST_TIMEOUT) as deadline:
        async for chunk in request.stream():
            size += len(chunk)
            if size > int(length):
                raise RequestError(HTTPStatus.BAD_REQUEST,
                                   "the body is longer than its Content-Length.")
            chunks.append(chunk)
    if deadline.cancelled_caught:
        raise RequestError(HTTPStatus.REQUEST_TIMEOUT, "the body did not arrive within "
                           f"{REQUEST_TIMEOUT} seconds.")
    return b"".join(chunks)


async def _refused(request, error):
    headers = {"Retry-After": "1"} if error.status == HTTPStatus.SERVICE_UNAVAILABLE else None
    return _error(error.status, str(error), headers)


async def _http_error(request, error):
    path = request.url.path
    if error.status_code == HTTPStatus.NOT_FOUND:
        return _error(error.status_code, f"no such page: {path}")
    if error.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        allowed = "POST" if path == "/predict" else "GET"
        return _error(error.status_code, f"{path} answers {allowed} only.", {"Allow": allowed})
    return _error(error.status_code, str(error.detail))


async def _failure(request, error):
    return _error(HTTPStatus.INTERNAL_SERVER_ERROR,
                  f"the server failed to answer ({type(error).__name__}).")


def make_app(state, hosts, origins, any_address_port=None):
    """The page's Starlette application: :class:`DrawingApp`'s routes behind the checks.

    Parameters
    ----------
    state : object
        Holds ``reader``: the :class:`DigitReader` answering drawings, or
        None while the model is not ready (the API answers 503).
    hosts : set of str
        The host names accepted in the ``Host`` header (lower case).
    origins : set of str
        The ``Origin`` values accepted on ``POST`` (lower case).
    any_address_port : int, optional
        For a server bound to every address: its port, with which any IP
        address is accepted as ``Host`` and ``Origin`` too.
    """
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    app = DrawingApp(state)
    routes = [Route(path, app.page, methods=["GET"]) for path in STATIC]
    routes += [Route("/api/model", app.model, methods=["GET"]),
               Route("/predict", app.predict, methods=["POST"])]
    return Starlette(routes=routes,
                     middleware=_middleware(hosts, origins, any_address_port),
                     exception_handlers={RequestError: _refused, HTTPException: _http_error,
                                         Exception: _failure})


def _protocol():
    """uvicorn's HTTP/1.1 protocol, with a deadline for each request's headers.

    uvicorn drops a kept-alive connection that stays idle, but not one that
    opens and never finishes a request; this one closes a connection that
    has not sent a whole request head :data:`REQUEST_TIMEOUT` seconds after
    it opened or after its last answer.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self):
            super().on_response_complete()
            self._arm()

        def _arm(self):
            self.loop.call_later(REQUEST_TIMEOUT, self._expire, self.cycle)

        def _expire(self, cycle):
            if self.cycle is cycle and not self.transport.is_closing():
                self.transport.close()  # no new request since the deadline was set

    return Protocol


def _is_ip(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _names(host, port):
    """The host names and Origins of a server bound to ``host``: loopback names and ``host``."""
    names = {"127.0.0.1", "localhost", "[::1]", host.lower()}
    if ":" in host:
        names.add(f"[{host.lower()}]")
    origins = {f"http://{name}:{port}" for name in names}
    return names, origins | ({f"http://{name}" for name in names} if port == 80 else set())


class DrawingServer:
    """The drawing page's server: a socket bound at once, served by uvicorn when asked.

    Binding first lets ``sknn-digits draw`` learn that a port is taken before
    it trains a model.  ``reader`` may be set later; until then the API
    answers 503.
    """

    def __init__(self, reader, host="127.0.0.1", port=0):
        try:
            import starlette  # noqa: F401
            import uvicorn  # noqa: F401 - fail before binding when the extra is missing
        except ImportError:
            raise ImportError(EXTRA) from None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(BACKLOG)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        self.reader = reader
        hosts, origins = _names(host, self.server_address[1])
        everywhere = ipaddress.ip_address(host).is_unspecified if _is_ip(host) else False
        self.app = make_app(self, hosts, origins,
                            self.server_address[1] if everywhere else None)
        self._uvicorn, self._stopped = None, threading.Event()

    def serve_forever(self):
        """Serve until :meth:`shutdown` (or Ctrl-C in the main thread)."""
        import uvicorn

        config = uvicorn.Config(
            self.app, http=_protocol(), loop="asyncio", ws="none", lifespan="off",
            timeout_keep_alive=IDLE_TIMEOUT, limit_concurrency=connection_limit(),
            h11_max_incomplete_event_size=16 * 1024, access_log=False, log_level="warning",
            server_header=False, proxy_headers=False)
        self._uvicorn = uvicorn.Server(config)
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self):
        """Stop serving, and wait until the server has stopped."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
            self._stopped.wait(10)

    def server_close(self):
        """Release the socket."""
        self.socket.close()


def connection_limit():
    """:data:`MAX_CONNECTIONS`, or fewer where the process may open fewer files (a margin of
    64 kept for the model's files, the log and the listening socket)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):
        return MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - 64))


def make_server(model, host="127.0.0.1", port=0):
    """A server for the drawing page, bound but not yet serving.

    Call ``serve_forever()`` on it (in a thread, or until Ctrl-C) and
    ``shutdown()`` and ``server_close()`` when done;
    ``server.server_address`` holds the port chosen when ``port`` is 0.
    ``model`` may be ``None`` to bind the port before a model is ready:
    until ``server.reader = DigitReader(model)`` is set, the API answers 503.
    Needs the ``web`` extra.

    Examples
    --------
    >>> import json, threading, urllib.request
    >>> from sklearn.datasets import load_digits
    >>> from sknn_digits import BackpropMLPClassifier
    >>> from sknn_digits.web import make_server
    >>> from sknn_digits.workflow import default_pipeline
    >>> X, y = load_digits(return_X_y=True)
    >>> model = default_pipeline(BackpropMLPClassifier(max_iter=50, random_state=0)).fit(X, y)
    >>> server = make_server(model)
    >>> thread = threading.Thread(target=server.serve_forever, daemon=True)
    >>> thread.start()
    >>> host, port = server.server_address[:2]
    >>> with urllib.request.urlopen(f"http://{host}:{port}/api/model") as response:
    ...     json.load(response)["layout"]
    'digits'
    >>> server.shutdown(); server.server_close()
    """
    return DrawingServer(None if model is None else DigitReader(model), host, port)


def serve(server, stop=None):
    """Serve until ``stop`` is set or Ctrl-C; the server is closed either way."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        (stop or threading.Event()).wait()
    finally:
        server.shutdown()
        server.server_close()
