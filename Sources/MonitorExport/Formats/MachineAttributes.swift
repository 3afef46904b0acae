import ProcessMonitor

/// The rules for user attributes, shared so one attribute set works with every machine format.
enum MachineAttributes {
    /// Longest key, in UTF-8 bytes.
    static let maxKeyBytes = 64

    /// Validates keys and cuts values like labels; returns the pairs sorted by key so output is
    /// deterministic.
    static func validated(_ attributes: [String: String], limits: ExportLimits) throws(ExportError) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(attributes.count)
        for (key, value) in attributes {
            try checkKey(key)
            pairs.append((key, limits.cap(value)))
        }
        pairs.sort { $0.key < $1.key }
        return pairs
    }

    /// Throws unless `key` is 1-64 bytes of characters every format keeps unchanged.
    ///
    /// A key must survive every format as it is: go-logfmt drops spaces, `=`, `"`, controls
    /// and U+FFFD from keys, and newer go-logfmt decoders treat `'` as a quote, so all of those
    /// are refused rather than silently rewritten.
    static func checkKey(_ key: String) throws(ExportError) {
        guard !key.isEmpty else {
            throw ExportError(code: .invalidConfiguration, message: "attribute key must not be empty")
        }
        guard key.utf8.count <= maxKeyBytes else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attribute key \(key.debugDescription) is \(key.utf8.count) bytes; at most \(maxKeyBytes) allowed"
            )
        }
        for scalar in key.unicodeScalars {
            let value = scalar.value
            let forbidden = value <= 0x20 || (0x7F ... 0x9F).contains(value) || scalar == "=" || scalar == "\""
                || scalar == "'" || scalar == "\u{FFFD}" || scalar.properties.isWhitespace
                || value == 0x2028 || value == 0x2029
            if forbidden {
                throw ExportError(
                    code: .invalidConfiguration,
                    message: "attribute key \(key.debugDescription) contains U+\(String(value, radix: 16, uppercase: true)); "
                        + "keys may not contain whitespace, control characters, '=', '\"', \"'\" or U+FFFD"
                )
            }
        }
    }

    /// Attributes go on every line, so they may take at most an eighth of it: the rest of the
    /// line must always fit.
    static func checkBudget(renderedBytes: Int, limits: ExportLimits) throws(ExportError) {
        let budget = limits.maxLineBytes / 8
        guard renderedBytes <= budget else {
            throw ExportError(
                code: .invalidConfiguration,
                message: "attributes take \(renderedBytes) bytes rendered; at most \(budget) "
                    + "(maxLineBytes / 8) allowed"
            )
        }
    }
}
