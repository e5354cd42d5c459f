"""The limits a request meets before and during the one parse: http.sys's, and WCF's quotas.

WCF's defaults, cited so they can be checked:
- XmlDictionaryReaderQuotas (RS System.Runtime.Serialization/System/Xml/XmlDictionaryReaderQuotas.cs,
  `DefaultMaxDepth` 32, `DefaultMaxStringContentLength` 8192, `DefaultMaxArrayLength` 16384,
  `DefaultMaxBytesPerRead` 4096, `DefaultMaxNameTableCharCount` 16384); the HTTP bindings hand them to the
  text encoder unchanged.
- maxReceivedMessageSize 65536 (TransportDefaults.MaxReceivedMessageSize) and receiveTimeout 00:10:00
  (ServiceDefaults.ReceiveTimeout).
- In front of WCF, http.sys (HTTP Server API, HTTP_TIMEOUT_LIMIT_INFO): HeaderWait, IdleConnection and
  EntityBody are 120 s each by default; MaxRequestBytes (request line plus headers) is 16384.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class ReaderQuotas:
    max_depth: int = 32
    max_string_content_length: int = 8192
    max_array_length: int = 16384
    max_bytes_per_read: int = 4096
    max_name_table_char_count: int = 16384

    @cached_property
    def smallest_text_quota(self) -> int:
        """No text, attribute value or start tag shorter than this can break a quota."""
        return min(self.max_bytes_per_read, self.max_string_content_length)

    @classmethod
    def from_config(cls, q: dict[str, Any]) -> ReaderQuotas:
        """From the scenario's binding.readerQuotas section."""
        return cls(
            max_depth=q["maxDepth"],
            max_string_content_length=q["maxStringContentLength"],
            max_array_length=q["maxArrayLength"],
            max_bytes_per_read=q["maxBytesPerRead"],
            max_name_table_char_count=q["maxNameTableCharCount"],
        )


@dataclass(frozen=True)
class HttpLimits:
    header_wait: float = 120.0  # seconds from a request's first byte to the end of its headers
    idle_connection: float = 120.0  # seconds a keep-alive connection may sit with no request
    entity_body: float = 120.0  # seconds from the end of the headers to the end of the body
    receive_timeout: float = 600.0  # WCF's receiveTimeout: also bounds a body's arrival
    max_request_bytes: int = 16384  # request line + headers
    max_headers: int = 100
    max_pipelined: int = 16  # requests read ahead of their answers before the connection is not read

    @classmethod
    def from_config(cls, h: dict[str, Any], receive_timeout: timedelta) -> HttpLimits:
        """From the scenario's http section and binding.receiveTimeout."""
        return cls(
            header_wait=h["headerWaitTimeout"].total_seconds(),
            idle_connection=h["idleConnectionTimeout"].total_seconds(),
            entity_body=h["entityBodyTimeout"].total_seconds(),
            receive_timeout=receive_timeout.total_seconds(),
            max_request_bytes=h["maxRequestBytes"],
            max_headers=h["maxHeaders"],
            max_pipelined=h["maxPipelinedRequests"],
        )

    @property
    def body_wait(self) -> float:
        return min(self.entity_body, self.receive_timeout)

    @property
    def shortest_wait(self) -> float:
        return min(self.header_wait, self.idle_connection, self.body_wait)
