"""The scenario schema's contract and rules sections: operations and fault-injection rules."""

from __future__ import annotations

from mockwcf.schema_base import DERIVED, REQUIRED, F

VALUE_TYPES = ("string", "int", "long", "boolean", "decimal", "double", "dateTime", "base64Binary")
_TYPE_DOC = "a map of field name to type: " + ", ".join(VALUE_TYPES) + "; append [] for a list (string[])"

OPERATION = F(
    "section",
    "One operation of the contract (document/literal wrapped, like a WCF [OperationContract]).",
    fields={
        "name": F("str", "Operation name; the request element and the action end with it.", REQUIRED),
        "action": F("str", "SOAP action; default `{namespace}{contract}/{name}` as WCF derives it.", DERIVED),
        "input": F("map", "Request fields: " + _TYPE_DOC + ".", {}),
        "output": F("map", "Response fields: " + _TYPE_DOC + ".", DERIVED),
        "protectionLevel": F(
            "enum",
            "[OperationContract(ProtectionLevel = ...)]: the request's and reply's Body protection for this "
            "operation (None: neither signed nor encrypted; Sign; EncryptAndSign). Unset, the contract's "
            "(binding.security.protectionLevel) applies, as in ChannelProtectionRequirements.CreateFromContract.",
            None,
            ("None", "Sign", "EncryptAndSign"),
        ),
        "reply": F(
            "map",
            "Canned response values; a string (or each string of a list) may echo request fields as `{field}`. "
            "A constant value its type cannot hold (`n: abc` for an int) is a load error. A dateTime is written "
            "as WCF writes a DateTime: `Z` when given with Z, `+00:00` (the server's zone) when given with an "
            "offset, nothing when given without one. Default: the first output field echoes the first input "
            "field.",
            {},
        ),
    },
)

MATCH = F(
    "section",
    "When the rule applies; every given condition must hold.",
    fields={
        "operation": F("str", "Operation name."),
        "action": F("str", "The request's action."),
        "call": F("int", "Only the N-th matching call (1-based), counted per rule.", minimum=1),
        "every": F("int", "Every N-th matching call.", minimum=1),
        "node": F("int", "Only requests served by this farm node (1-based).", minimum=1),
        "xpath": F(
            "str", "An XPath 1.0 expression on the request envelope; the rule matches when it is true."
        ),
        "namespaces": F("map", "Prefixes for `xpath` (soap, wsse, wsu, wsa and ds are predefined).", {}),
    },
)

RULE = F(
    "section",
    "A fault-injection or delay rule. Exactly one of fault, customFault, httpStatus, drop "
    "(delay may be combined with any, or stand alone).",
    fields={
        "match": MATCH,
        "phase": F(
            "enum",
            "`dispatch`: checked after security processing (a rejected request never reaches it); "
            "`receive`: checked before it.",
            "dispatch",
            ("receive", "dispatch"),
        ),
        "fault": F("code", "Answer with this catalog code's WCF fault (see `mockwcf catalog`)."),
        "message": F("str", "Specifics for the diagnostics detail of `fault`.", ""),
        "customFault": F(
            "section",
            "Answer with a SOAP fault of your own.",
            fields={
                "code": F("enum", "Fault code.", "Sender", ("Sender", "Receiver")),
                "subcode": F("str", "Subcode as `{namespace}Local` or empty.", ""),
                "reason": F("str", "Reason text.", REQUIRED),
                "detail": F("xml", "Detail content (well-formed XML).", ""),
            },
        ),
        "delay": F("timespan", "Wait this long before answering (e.g. 00:00:02).", minimum=0),
        "httpStatus": F(
            "section",
            "Answer with a bare HTTP status.",
            fields={
                "status": F("int", "HTTP status code.", REQUIRED, minimum=100),
                "body": F("str", "Body text.", ""),
                "contentType": F("str", "Content-Type of the body.", "text/plain; charset=utf-8"),
            },
        ),
        "drop": F("bool", "Close the connection without answering.", False),
    },
)
