"""The scenario file's schema: every key, its type, WCF default and meaning, in one table.

The loader validates against it and the docs' scenario reference is generated from it, so the two
cannot drift. Keys use WCF's own configuration names (camelCase) so a user can copy values from a
service's web.config.
"""

from __future__ import annotations

from mockwcf.schema_base import DERIVED, REQUIRED, F  # noqa: F401 - re-exported for the loader
from mockwcf.schema_binding import BINDING
from mockwcf.schema_contract import OPERATION, RULE, VALUE_TYPES  # noqa: F401
from mockwcf.schema_transport import WINDOWS_CREDENTIALS

SCHEMA = F(
    "section",
    "A mockwcf scenario.",
    fields={
        "scenario": F("int", "File format version; always 1.", 1, minimum=1),
        "name": F("str", "Scenario name, shown by /_mockwcf/health and the journal.", DERIVED),
        "description": F("str", "What this scenario shows, for people.", ""),
        "service": F(
            "section",
            "The service and its contract.",
            fields={
                "name": F("str", "Service name (WSDL service).", "EchoService"),
                "namespace": F("str", "Contract namespace.", "http://tempuri.org/"),
                "contract": F("str", "Contract (interface) name; part of every default action.", DERIVED),
                "path": F("str", "URL path of the endpoint.", DERIVED),
                "operations": F(
                    "list",
                    "The contract's operations; default: one Echo(text) -> EchoResult.",
                    DERIVED,
                    item=OPERATION,
                ),
            },
        ),
        "binding": BINDING,
        "credentials": F(
            "section",
            "Service credentials (the serviceCredentials behavior).",
            fields={
                "serviceCertificate": F(
                    "section",
                    "The service's certificate and key (PEM); needed for HTTPS and signed responses.",
                    fields={
                        "certificate": F("path", "PEM certificate.", None),
                        "privateKey": F("path", "PEM private key.", None),
                    },
                ),
                "clientCertificate": F(
                    "section",
                    "How client certificates are validated.",
                    fields={
                        "certificateValidationMode": F(
                            "enum",
                            "Validation mode.",
                            "ChainTrust",
                            ("None", "PeerTrust", "ChainTrust", "PeerOrChainTrust"),
                        ),
                        "trustedCertificates": F(
                            "list", "CA certificates (PEM) trusted for ChainTrust.", [], item=F("path", "")
                        ),
                        "trustedPeople": F(
                            "list",
                            "Exact client certificates (PEM) trusted for PeerTrust.",
                            [],
                            item=F("path", ""),
                        ),
                        "revocationMode": F(
                            "enum",
                            "Revocation checking; mockwcf has no network, so only NoCheck is honoured.",
                            "NoCheck",
                            ("NoCheck", "Online", "Offline"),
                        ),
                    },
                ),
                "windows": WINDOWS_CREDENTIALS,
                "userNameAuthentication": F(
                    "section",
                    "UserName credentials the service accepts.",
                    fields={"users": F("map", "user name -> password.", {})},
                ),
            },
        ),
        "localServiceSettings": F(
            "section",
            "LocalServiceSecuritySettings; absent values take WCF's defaults.",
            fields={
                "maxClockSkew": F("timespan", "Allowed clock difference.", "00:05:00", minimum=0),
                "replayWindow": F(
                    "timespan", "Replay window; also the timestamp age limit.", "00:05:00", minimum=0
                ),
                "detectReplays": F(
                    "bool", "Replay detection; WCF turns it off for transport bindings.", DERIVED
                ),
                "replayCacheSize": F(
                    "int",
                    "Replay cache entries; when full, requests are refused (CacheQuotaReached).",
                    900000,
                    minimum=1,
                    maximum=2**31 - 1,  # LocalServiceSecuritySettings.ReplayCacheSize is an Int32
                ),
                "timestampValidityDuration": F(
                    "timespan", "Expires - Created in responses.", "00:05:00", minimum=0
                ),
                "maxPendingSessions": F("int", "Secure conversation: pending sessions.", 128, minimum=1),
                "inactivityTimeout": F(
                    "timespan", "Secure conversation: pending-session timeout.", "00:02:00", minimum=0
                ),
                "issuedCookieLifetime": F("timespan", "Cookie SCT lifetime.", "10:00:00", minimum=0),
                "maxCachedCookies": F(
                    "int", "Secure conversation: decoded cookie SCTs kept per node.", 1000, minimum=0
                ),
                "sessionKeyRenewalInterval": F(
                    "timespan",
                    "Secure conversation: a session key's life before RenewNeeded.",
                    "15:00:00",
                    minimum=0,
                ),
                "maxStatefulNegotiations": F(
                    "int",
                    "Accepted; changes no answer: WCF caps with it the state of multi-leg negotiations "
                    "(SPNEGO/TLSNEGO, refused at load) and the SCT issuer's throttle, which queues requests "
                    "instead of failing them (docs/conversation.md). 0 fails the host's open when the binding "
                    "establishes a security context.",
                    128,
                    minimum=0,
                ),
                "sessionKeyRolloverInterval": F(
                    "timespan",
                    "Secure conversation: how long the old key works after a renewal.",
                    "00:05:00",
                    minimum=0,
                ),
            },
        ),
        "farm": F(
            "section",
            "Several nodes behind one balancer (each node has its own replay cache).",
            fields={
                "nodes": F("int", "Number of nodes.", 1, minimum=1),
                "balancing": F("enum", "How requests are spread.", "roundRobin", ("roundRobin", "sticky")),
                "cookieProtection": F(
                    "enum",
                    "Cookie SCT protection: perNode (a key made at node start, as DPAPI), shared (one key for "
                    "every node: cookieKeyFile, or a key the in-process nodes share), certificate (the service "
                    "certificate).",
                    "perNode",
                    ("perNode", "shared", "certificate"),
                ),
                "cookieKeyFile": F(
                    "path", "The key file shared nodes read (cookieProtection: shared).", None
                ),
            },
        ),
        "http": F(
            "section",
            "Limits of the HTTP front end; the defaults are http.sys's, which WCF sits behind.",
            fields={
                "headerWaitTimeout": F(
                    "timespan", "From a request's first byte to the end of its headers.", "00:02:00"
                ),
                "idleConnectionTimeout": F(
                    "timespan",
                    "How long a keep-alive connection may sit with no request, or with replies the client "
                    "does not read.",
                    "00:02:00",
                ),
                "entityBodyTimeout": F(
                    "timespan", "From the end of the headers to the end of the body.", "00:02:00"
                ),
                "maxRequestBytes": F(
                    "int", "Request line plus headers, in bytes (400 beyond).", 16384, minimum=64
                ),
                "maxHeaders": F("int", "Header fields in one request (400 beyond).", 100, minimum=4),
                "maxPipelinedRequests": F(
                    "int",
                    "Requests read ahead of their answers; past this the connection is not read.",
                    16,
                    minimum=1,
                ),
            },
        ),
        "clock": F(
            "section",
            "The server clock.",
            fields={
                "offset": F("timespan", "Shift from real time, e.g. +00:07:00.", "00:00:00"),
                "frozenAt": F("str", "Freeze the clock at this instant (2026-01-01T00:00:00Z).", None),
            },
        ),
        "diagnostics": F(
            "bool",
            "Add X-MockWcf-Resource-Code and a diagnostics detail to faults; false = WCF's bytes only.",
            True,
        ),
        "journal": F(
            "section",
            "The exchange journal.",
            fields={
                "maxEntries": F("int", "Exchanges kept (oldest dropped first).", 10000, minimum=1),
                "maxBytes": F(
                    "int",
                    "Bytes of requests, replies and headers kept (oldest exchanges dropped first).",
                    64 * 1024 * 1024,
                    minimum=1,
                ),
                "includeSecrets": F(
                    "bool",
                    "Keep passwords, nonces and Authorization/Cookie headers in the journal; by default "
                    "their text is replaced by its length.",
                    False,
                ),
            },
        ),
        "deviations": F(
            "section",
            "Behaviour that real WCF does NOT have, for users who need it. Off by default.",
            fields={
                "resolveSigningCertificateOutOfBand": F(
                    "bool",
                    "Let the primary signature's KeyInfo (IssuerSerial, SKI, thumbprint) resolve against "
                    "credentials.clientCertificate.trustedPeople even without a BinarySecurityToken. "
                    "Real WCF refuses this (UnableToResolveKeyInfoForVerifyingSignature).",
                    False,
                )
            },
        ),
        "rules": F(
            "rules", "Fault injection and delays, checked in order; the first match wins.", [], item=RULE
        ),
        "endpoints": F(
            "list",
            "Several endpoints of this service, as a WCF <service> has several <endpoint> elements: each "
            "is this scenario with its own service.path and binding (everything else is shared). Served "
            "by `mockwcf serve`; `verify` and the pytest plugin take a scenario without this key.",
            DERIVED,
            item=F(
                "section",
                "One endpoint.",
                fields={
                    "path": F("str", "URL path of the endpoint (its address).", REQUIRED),
                    "name": F(
                        "str", "Scenario name shown for this endpoint; default: the scenario's.", DERIVED
                    ),
                    "binding": BINDING,
                },
            ),
        ),
    },
)
