#!/usr/bin/env python3
"""A small local fake of Amazon Rekognition for integration tests.

Speaks the service's JSON 1.1 protocol (``POST /`` with
``X-Amz-Target: RekognitionService.<Operation>`` and
``Content-Type: application/x-amz-json-1.1``), so a real SDK client pointed
at it with ``endpoint_url`` works unchanged. Only the operations the kiosk
uses are implemented:

- CreateFaceLivenessSession: stores the session and its settings; the same
  ClientRequestToken gives back the same SessionId.
- GetFaceLivenessSessionResults: CREATED until a test streams on the session
  or completes it through the control endpoints (IN_PROGRESS while a stream
  is open or after it broke); EXPIRED once ``--session-ttl`` seconds (180,
  as the service) have passed since creation without completion. Images
  always come back as Bytes (OutputConfig is recorded, not honoured). The
  results may be read any number of times while the session lives, as the
  service allows.
- One stream per session, as the service: "A new sessionID must be used for
  every Face Liveness check". A second stream on a session (after one that
  completed or broke) is refused with ValidationException, and so is
  completing a session whose stream broke: a retry needs a new session.
- CompareFaces: Bytes images, or S3Object images read from the S3 server
  given with ``--s3-endpoint`` (moto; path-style, a GET with a SigV4-shaped header, at the
  object's ``Version`` when given; without it
  S3Object is refused with InvalidS3ObjectException, as is a missing
  object); both must be JPEG or PNG by magic bytes
  (else InvalidImageFormatException). Answers the scripted similarity;
  below the request's SimilarityThreshold the face goes to UnmatchedFaces.
- DetectFaces: one face covering the middle third of a JPEG/PNG image
  (Bytes up to 5 MB, or an S3Object up to 15 MB read as CompareFaces
  reads them), or none when scripted so.

Requests without a SigV4 ``Authorization: AWS4-HMAC-SHA256 ...`` header are
refused (HTTP 403, UnrecognizedClientException). The signature itself is
not checked. Errors are HTTP 400 with ``{"__type": ..., "message": ...}``
and the ``x-amzn-errortype`` header, as the service sends them.

Control endpoints for tests (plain JSON, no authentication):

- ``POST /_fake/sessions/{id}/stream`` body ``{}`` (the detector opened the
  session's stream; ``complete`` ends it) or ``{"error":
  "InternalServerException"}`` (the stream broke with that error: timeout,
  face too close, network). Refused (HTTP 400, ValidationException) when the
  session was streamed on before, SessionNotFoundException when it does not
  exist or expired.
- ``POST /_fake/sessions/{id}/complete`` body
  ``{"status": "SUCCEEDED", "confidence": 93.1, "referenceImage": "<base64>",
  "auditImages": ["<base64>", ...], "challenge": {"Type": ..., "Version": ...}}``
  (status SUCCEEDED, FAILED, EXPIRED or IN_PROGRESS): the end of the
  session's one stream (opened now if no ``stream`` call did). Refused with
  ValidationException after a final status or a broken stream.
- ``POST /_fake/compare`` body ``{"similarity": 97.5}`` or
  ``{"noFace": "source"|"target"}`` (``{"similarity": 97.5, "noFace": null}``
  clears it).
- ``POST /_fake/detect`` body ``{"faces": 0|1}``.
- ``GET /_fake/sessions``: every session with its status and create
  settings, oldest first.
- ``POST /_fake/reset``: forgets sessions and scripts.

Usage: ``python3 fake_rekognition.py --host 127.0.0.1 --port 0`` (port 0
picks a free one); the first stdout line is
``listening on http://HOST:PORT``.

Python 3.11+, standard library only.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

JSON_11 = "application/x-amz-json-1.1"
TARGET_PREFIX = "RekognitionService."
MAX_BODY = 32 * 1024 * 1024
TOKEN_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
SESSION_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
CHALLENGES = ("FaceMovementAndLightChallenge", "FaceMovementChallenge")
STATUSES = ("SUCCEEDED", "FAILED", "EXPIRED", "IN_PROGRESS")
MIDDLE_THIRD = {"Width": 1 / 3, "Height": 1 / 3, "Left": 1 / 3, "Top": 1 / 3}


class ServiceError(Exception):
    """An error answer of the service."""

    def __init__(self, type_name: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.status = status


def image_kind(data: bytes) -> str | None:
    """``jpeg``, ``png`` or None, by magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def b64decode(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise ServiceError("ValidationException", f"{what} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ServiceError("ValidationException", f"{what} is not base64: {e}") from e


class State:
    """Sessions and scripts, shared by the handler threads."""

    def __init__(self, session_ttl: float) -> None:
        self.lock = threading.Lock()
        self.session_ttl = session_ttl
        self.reset()

    def reset(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        self.similarity = 99.0
        self.no_face: str | None = None
        self.detect_faces = 1

    def status_of(self, session: dict[str, Any]) -> str:
        if session["result"] is not None:
            return session["result"]["status"]
        if time.monotonic() - session["created"] >= self.session_ttl:
            return "EXPIRED"
        return "IN_PROGRESS" if session["stream"] is not None else "CREATED"


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeRekognition/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> State:
        return self.server.state  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.verbose:  # type: ignore[attr-defined]
            sys.stderr.write("fake-rekognition: " + (format % args) + "\n")

    # -- plumbing ---------------------------------------------------------

    def read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            raise ServiceError("ValidationException", "bad Content-Length", 413)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, content_type: str = JSON_11,
                  headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_error_json(self, error: ServiceError) -> None:
        self.send_json(
            error.status,
            {"__type": error.type_name, "message": error.message},
            headers={"x-amzn-errortype": error.type_name},
        )

    # -- routing ----------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") == "/_fake/sessions":
            with self.state.lock:
                sessions = [
                    {
                        "sessionId": sid,
                        "status": self.state.status_of(s),
                        "clientRequestToken": s["token"],
                        "kmsKeyId": s["kmsKeyId"],
                        "settings": s["settings"],
                        "stream": s["stream"],
                        "streamError": s["streamError"],
                        "refusedStreams": s["refusedStreams"],
                        "ageSeconds": round(time.monotonic() - s["created"], 3),
                    }
                    for sid, s in self.state.sessions.items()
                ]
            self.send_json(200, {"sessions": sessions}, "application/json")
            return
        self.send_json(404, {"error": "not found"}, "application/json")

    def do_POST(self) -> None:  # noqa: N802
        try:
            body = self.read_body()
            if self.path.startswith("/_fake/"):
                self.control(self.path, body)
            elif self.path in ("/", ""):
                self.service(body)
            else:
                self.send_json(404, {"error": "not found"}, "application/json")
        except ServiceError as e:
            self.send_error_json(e)
        except Exception as e:  # a bug of the fake: answer, do not hang the client
            self.send_error_json(ServiceError("InternalServerError", f"fake: {e!r}", 500))

    # -- control endpoints ------------------------------------------------

    def control(self, path: str, body: bytes) -> None:
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError as e:
            self.send_json(400, {"error": f"bad JSON: {e}"}, "application/json")
            return
        if not isinstance(data, dict):
            self.send_json(400, {"error": "body must be a JSON object"}, "application/json")
            return
        state = self.state
        match = re.fullmatch(r"/_fake/sessions/([^/]+)/complete", path)
        if match:
            self.complete(match.group(1), data)
            return
        match = re.fullmatch(r"/_fake/sessions/([^/]+)/stream", path)
        if match:
            self.stream(match.group(1), data)
            return
        if path == "/_fake/compare":
            with state.lock:
                if "similarity" in data:
                    value = data["similarity"]
                    if not isinstance(value, (int, float)) or not 0 <= value <= 100:
                        self.send_json(400, {"error": "similarity must be 0-100"},
                                       "application/json")
                        return
                    state.similarity = float(value)
                if "noFace" in data:
                    if data["noFace"] not in (None, "source", "target"):
                        self.send_json(400, {"error": "noFace: source, target or null"},
                                       "application/json")
                        return
                    state.no_face = data["noFace"]
                elif "similarity" in data:
                    state.no_face = None
                reply = {"similarity": state.similarity, "noFace": state.no_face}
            self.send_json(200, reply, "application/json")
            return
        if path == "/_fake/detect":
            faces = data.get("faces", 1)
            if faces not in (0, 1):
                self.send_json(400, {"error": "faces must be 0 or 1"}, "application/json")
                return
            with state.lock:
                state.detect_faces = faces
            self.send_json(200, {"faces": faces}, "application/json")
            return
        if path == "/_fake/reset":
            with state.lock:
                state.reset()
            self.send_json(200, {"reset": True}, "application/json")
            return
        self.send_json(404, {"error": "not found"}, "application/json")

    def complete(self, session_id: str, data: dict[str, Any]) -> None:
        status = data.get("status", "SUCCEEDED")
        if status not in STATUSES:
            self.send_json(400, {"error": f"status must be one of {STATUSES}"},
                           "application/json")
            return
        confidence = data.get("confidence")
        if confidence is not None and not isinstance(confidence, (int, float)):
            self.send_json(400, {"error": "confidence must be a number"}, "application/json")
            return
        try:
            reference = (b64decode(data["referenceImage"], "referenceImage")
                         if data.get("referenceImage") else None)
            audits = [b64decode(a, "auditImages") for a in data.get("auditImages") or []]
        except ServiceError as e:
            self.send_json(400, {"error": e.message}, "application/json")
            return
        challenge = data.get("challenge")
        with self.state.lock:
            session = self.state.sessions.get(session_id)
            if session is None:
                self.send_json(404, {"error": "no such session"}, "application/json")
                return
            used = self.used(session_id, session)
            if used is not None:
                self.send_error_json(used)
                return
            session["stream"] = "open"
            limit = session["settings"].get("AuditImagesLimit", 0)
            if challenge is None:
                prefs = session["settings"].get("ChallengePreferences") or [
                    {"Type": CHALLENGES[0]}
                ]
                challenge = {"Type": prefs[0].get("Type", CHALLENGES[0]), "Version": "1.0.0"}
            session["result"] = {
                "status": status,
                "confidence": confidence,
                "reference": reference,
                "audits": audits[:limit],
                "challenge": challenge,
            }
        if status != "IN_PROGRESS":
            with self.state.lock:
                session["stream"] = "ended"
        self.send_json(200, {"sessionId": session_id, "status": status}, "application/json")

    @staticmethod
    def used(session_id: str, session: dict[str, Any]) -> ServiceError | None:
        """Why the session cannot take a stream (or its end) now, or None."""
        result = session["result"]
        if session["stream"] == "broken" or (
            result is not None and result["status"] != "IN_PROGRESS"
        ):
            return ServiceError(
                "ValidationException",
                f"Session {session_id} has already been used for a Face Liveness check; "
                "create a new session",
            )
        return None

    def stream(self, session_id: str, data: dict[str, Any]) -> None:
        """The detector's stream on a session: one per session."""
        error = data.get("error")
        if error is not None and (not isinstance(error, str) or not error):
            self.send_json(400, {"error": "error must be an exception name"},
                           "application/json")
            return
        with self.state.lock:
            session = self.state.sessions.get(session_id)
            if session is None or self.state.status_of(session) == "EXPIRED":
                self.send_error_json(ServiceError(
                    "SessionNotFoundException", f"Session {session_id} not found"))
                return
            used = self.used(session_id, session)
            if used is None and session["stream"] is not None:
                used = ServiceError(
                    "ValidationException",
                    f"Session {session_id} has already been used for a Face Liveness check; "
                    "create a new session",
                )
            if used is not None:
                session["refusedStreams"] += 1
                self.send_error_json(used)
                return
            session["stream"] = "broken" if error else "open"
            session["streamError"] = error
        self.send_json(200, {"sessionId": session_id, "stream": session["stream"]},
                       "application/json")

    # -- the service ------------------------------------------------------

    def service(self, body: bytes) -> None:
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("AWS4-HMAC-SHA256 ") or "Credential=" not in auth:
            raise ServiceError(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
                403,
            )
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type != JSON_11:
            raise ServiceError("SerializationException",
                               f"expected Content-Type {JSON_11}")
        target = self.headers.get("X-Amz-Target") or ""
        if not target.startswith(TARGET_PREFIX):
            raise ServiceError("UnknownOperationException", f"unknown target {target!r}")
        operation = target[len(TARGET_PREFIX):]
        try:
            request = json.loads(body or b"{}")
        except json.JSONDecodeError as e:
            raise ServiceError("SerializationException", f"bad JSON: {e}") from e
        if not isinstance(request, dict):
            raise ServiceError("SerializationException", "body must be a JSON object")
        handler = {
            "CreateFaceLivenessSession": self.create_session,
            "GetFaceLivenessSessionResults": self.session_results,
            "CompareFaces": self.compare_faces,
            "DetectFaces": self.detect_faces,
        }.get(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"{operation} is not faked")
        self.send_json(200, handler(request))

    def create_session(self, request: dict[str, Any]) -> dict[str, Any]:
        settings = request.get("Settings") or {}
        if not isinstance(settings, dict):
            raise ServiceError("ValidationException", "Settings must be an object")
        limit = settings.get("AuditImagesLimit", 0)
        if not isinstance(limit, int) or not 0 <= limit <= 4:
            raise ServiceError("InvalidParameterException", "AuditImagesLimit must be 0-4")
        for pref in settings.get("ChallengePreferences") or []:
            if not isinstance(pref, dict) or pref.get("Type") not in CHALLENGES:
                raise ServiceError("InvalidParameterException", "unknown challenge type")
        output = settings.get("OutputConfig")
        if output is not None and not (isinstance(output, dict) and output.get("S3Bucket")):
            raise ServiceError("InvalidParameterException", "OutputConfig needs S3Bucket")
        token = request.get("ClientRequestToken")
        if token is not None and (not isinstance(token, str) or not TOKEN_RE.match(token)):
            raise ServiceError("ValidationException", "invalid ClientRequestToken")
        state = self.state
        with state.lock:
            if token is not None and token in state.tokens:
                return {"SessionId": state.tokens[token]}
            session_id = str(uuid.uuid4())
            state.sessions[session_id] = {
                "created": time.monotonic(),
                "settings": settings,
                "kmsKeyId": request.get("KmsKeyId"),
                "token": token,
                "result": None,
                "stream": None,
                "streamError": None,
                "refusedStreams": 0,
            }
            if token is not None:
                state.tokens[token] = session_id
        return {"SessionId": session_id}

    def session_results(self, request: dict[str, Any]) -> dict[str, Any]:
        session_id = request.get("SessionId")
        if not isinstance(session_id, str) or not SESSION_RE.match(session_id):
            raise ServiceError("ValidationException", "SessionId must be a UUID")
        with self.state.lock:
            session = self.state.sessions.get(session_id)
            if session is None:
                raise ServiceError("SessionNotFoundException",
                                   f"Session {session_id} not found")
            status = self.state.status_of(session)
            result = session["result"]
        answer: dict[str, Any] = {"SessionId": session_id, "Status": status}
        if result is None or status in ("CREATED", "IN_PROGRESS", "EXPIRED"):
            return answer
        if result["confidence"] is not None:
            answer["Confidence"] = result["confidence"]
        if result["challenge"]:
            answer["Challenge"] = result["challenge"]
        if status == "SUCCEEDED":
            box = {"Width": 0.5, "Height": 0.6, "Left": 0.25, "Top": 0.2}
            if result["reference"] is not None:
                answer["ReferenceImage"] = {
                    "Bytes": base64.b64encode(result["reference"]).decode(),
                    "BoundingBox": box,
                }
            answer["AuditImages"] = [
                {"Bytes": base64.b64encode(a).decode(), "BoundingBox": box}
                for a in result["audits"]
            ]
        return answer

    @staticmethod
    def image_bytes(request: dict[str, Any], field: str) -> bytes:
        image = request.get(field)
        if not isinstance(image, dict):
            raise ServiceError("InvalidParameterException", f"{field} is required")
        if "S3Object" in image:
            data = read_s3_object(image["S3Object"], field)
            if len(data) > 15 * 1024 * 1024:
                raise ServiceError("ImageTooLargeException", f"{field} is larger than 15 MB")
        else:
            data = b64decode(image.get("Bytes"), f"{field}.Bytes")
            if len(data) > 5 * 1024 * 1024:
                raise ServiceError("ImageTooLargeException", f"{field} is larger than 5 MB")
        if image_kind(data) is None:
            raise ServiceError("InvalidImageFormatException",
                               "Request has invalid image format")
        return data

    def compare_faces(self, request: dict[str, Any]) -> dict[str, Any]:
        self.image_bytes(request, "SourceImage")
        self.image_bytes(request, "TargetImage")
        threshold = request.get("SimilarityThreshold", 80.0)
        if not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
            raise ServiceError("InvalidParameterException", "SimilarityThreshold 0-100")
        quality = request.get("QualityFilter", "NONE")
        if quality not in ("NONE", "AUTO", "LOW", "MEDIUM", "HIGH"):
            raise ServiceError("InvalidParameterException", "unknown QualityFilter")
        with self.state.lock:
            similarity = self.state.similarity
            no_face = self.state.no_face
        if no_face == "source":
            raise ServiceError("InvalidParameterException",
                               "There are no faces in the source image.")
        face = {"BoundingBox": MIDDLE_THIRD, "Confidence": 99.9}
        answer: dict[str, Any] = {
            "SourceImageFace": face,
            "FaceMatches": [],
            "UnmatchedFaces": [],
        }
        if no_face == "target":
            return answer
        if similarity >= threshold:
            answer["FaceMatches"].append({"Similarity": similarity, "Face": face})
        else:
            answer["UnmatchedFaces"].append(face)
        return answer

    def detect_faces(self, request: dict[str, Any]) -> dict[str, Any]:
        image = request.get("Image")
        if not isinstance(image, dict):
            raise ServiceError("InvalidParameterException", "Image is required")
        if "S3Object" in image:
            data = read_s3_object(image["S3Object"], "Image")
            if len(data) > 15 * 1024 * 1024:
                raise ServiceError("ImageTooLargeException", "Image is larger than 15 MB")
        else:
            data = b64decode(image.get("Bytes"), "Image.Bytes")
            if len(data) > 5 * 1024 * 1024:
                raise ServiceError("ImageTooLargeException", "Image is larger than 5 MB")
        if image_kind(data) is None:
            raise ServiceError("InvalidImageFormatException", "Request has invalid image format")
        with self.state.lock:
            faces = self.state.detect_faces
        details = [{"BoundingBox": MIDDLE_THIRD, "Confidence": 99.9}] * faces
        return {"FaceDetails": details}


S3_ENDPOINT: str | None = None


def read_s3_object(obj: Any, field: str) -> bytes:
    """Reads an S3Object image from the --s3-endpoint server (path-style)."""
    if not isinstance(obj, dict) or not obj.get("Bucket") or not obj.get("Name"):
        raise ServiceError("InvalidParameterException", f"{field}.S3Object needs Bucket and Name")
    if S3_ENDPOINT is None:
        raise ServiceError("InvalidS3ObjectException", "the fake has no --s3-endpoint")
    url = "{}/{}/{}".format(S3_ENDPOINT.rstrip("/"), urllib.parse.quote(obj["Bucket"]),
                            urllib.parse.quote(obj["Name"]))
    if obj.get("Version"):
        url += "?versionId=" + urllib.parse.quote(obj["Version"])
    # Rekognition reads with its own service identity; moto only needs a
    # SigV4-shaped header to treat the request as authenticated.
    request = urllib.request.Request(url, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=rekognition/20260101/us-east-1/s3/"
                         "aws4_request, SignedHeaders=host, Signature=0",
    })
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read(16 * 1024 * 1024)
    except urllib.error.HTTPError as e:
        raise ServiceError("InvalidS3ObjectException",
                           f"Unable to get object metadata from S3 ({e.code})") from None
    except OSError as e:
        raise ServiceError("InvalidS3ObjectException", f"S3 unreachable: {e}") from None


def main(argv: list[str] | None = None) -> int:
    global S3_ENDPOINT
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--session-ttl", type=float, default=180.0,
                        help="seconds before an uncompleted session is EXPIRED")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument("--s3-endpoint", default=None,
                        help="S3 server (moto) that S3Object images are read from")
    args = parser.parse_args(argv)
    S3_ENDPOINT = args.s3_endpoint
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.session_ttl)  # type: ignore[attr-defined]
    server.verbose = args.verbose  # type: ignore[attr-defined]
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
