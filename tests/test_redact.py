"""`redact`: camera credentials masked in every URL, everything else left as it was."""

from __future__ import annotations

import pytest

from flowtop.tracker.redact import has_secret, redact

CASES = [  # (text, redacted)
    # userinfo with a password: the user stays, the password goes
    ("rtsp://admin:s3cret@192.168.1.20:554/stream1", "rtsp://admin:****@192.168.1.20:554/stream1"),
    ("rtsps://admin:s3cret@cam.local:322/live", "rtsps://admin:****@cam.local:322/live"),
    ("http://admin:s3cret@10.0.0.5/video.mjpg", "http://admin:****@10.0.0.5/video.mjpg"),
    ("https://viewer:s3cret@cam.example.com/mjpg", "https://viewer:****@cam.example.com/mjpg"),
    ("rtsp://:s3cret@cam/stream", "rtsp://:****@cam/stream"),
    ("rtsp://admin:@cam/stream", "rtsp://admin:****@cam/stream"),
    # userinfo without a password (often a token): all of it goes
    ("rtsp://admin@cam/stream", "rtsp://****@cam/stream"),
    ("https://ghp_0123456789abcdef@cam.example.com/x", "https://****@cam.example.com/x"),
    # percent-encoded characters in the password, IPv6 hosts, ports
    ("rtsp://admin:p%40ss%2Fw%3Ard@[fe80::1]:8554/s", "rtsp://admin:****@[fe80::1]:8554/s"),
    ("http://us%20er:p%26ss@cam:8080/", "http://us%20er:****@cam:8080/"),
    # passwords that break the URL (unescaped @ / ? #): still hidden in the error about it
    ("rtsp://admin:p@ss@cam/stream", "rtsp://admin:****@cam/stream"),
    ("rtsp://admin:pa/ss@cam/stream", "rtsp://admin:****@cam/stream"),
    ("rtsp://admin:pa?ss@cam/stream", "rtsp://admin:****@cam/stream"),
    ("rtsp://admin:pa#ss@cam/stream", "rtsp://admin:****@cam/stream"),
    ("rtsp://admin:pa ss@cam/stream", "rtsp://admin:****@cam/stream"),
    # secrets in the query: only their values, any case, percent-encoded names too
    ("http://cam/video.cgi?user=admin&pwd=s3cret&res=hd",
     "http://cam/video.cgi?user=****&pwd=****&res=hd"),
    ("http://cam/cgi?USERNAME=admin&PassWord=s3cret", "http://cam/cgi?USERNAME=****&PassWord=****"),
    ("https://cam/x?auth=abc&token=def&key=ghi&signature=jkl&pass=mno",
     "https://cam/x?auth=****&token=****&key=****&signature=****&pass=****"),
    ("https://cam/x?pass%77ord=s3cret#frag", "https://cam/x?pass%77ord=****#frag"),
    ("http://cam/x?channel=1&stream=0", "http://cam/x?channel=1&stream=0"),
    ("http://cam/x?keyframe=1&passthrough=yes", "http://cam/x?keyframe=1&passthrough=yes"),
    ("http://cam/x?email=me@example.com&password=s3cret",
     "http://cam/x?email=me@example.com&password=****"),
    # both at once
    ("rtsp://admin:s3cret@cam/s?token=t0k", "rtsp://admin:****@cam/s?token=****"),
    # no credentials: unchanged
    ("rtsp://cam.local:554/stream1", "rtsp://cam.local:554/stream1"),
    ("http://127.0.0.1:8080/stream.mjpg", "http://127.0.0.1:8080/stream.mjpg"),
    ("demo", "demo"),
    ("/dev/video2", "/dev/video2"),
    ("/home/me/clips/a@b.mp4", "/home/me/clips/a@b.mp4"),
    ("frames/*.png", "frames/*.png"),
    # URLs inside a line of text
    ("flowtop: cannot open stream rtsp://admin:s3cret@10.0.0.9:554/s: timed out",
     "flowtop: cannot open stream rtsp://admin:****@10.0.0.9:554/s: timed out"),
    ("source lost: http://u:s3cret@a/x; reconnecting (was http://b/?token=s3cret)",
     "source lost: http://u:****@a/x; reconnecting (was http://b/?token=****)"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
    assert redact(expected) == expected  # masking twice changes nothing
    assert has_secret(text) == (text != expected)


@pytest.mark.parametrize("text", [t for t, r in CASES if t != r])
def test_no_secret_survives(text: str) -> None:
    for secret in ("s3cret", "p%40ss", "pa/ss", "pa?ss", "pa#ss", "pa ss", "t0k", "ghp_0123",
                   "mno", "jkl"):
        if secret in text:
            assert secret not in redact(text)
