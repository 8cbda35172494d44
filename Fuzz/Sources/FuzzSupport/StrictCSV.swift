/// An independent, strict reader of RFC 4180 records, written for the
/// statement target without looking at the CSV library the product uses.
///
/// Records end at LF, CRLF or CR (or the end of the text). A field that
/// starts with `"` is quoted: `""` inside it is one quote, and the closing
/// quote must be followed by a comma, a line end or the end of the text. A
/// quote inside an unquoted field is taken as it is. A quoted field still
/// open at the end of the text, or anything after a closing quote, makes the
/// text malformed.
public struct StrictCSV {
    public struct Record: Equatable {
        /// The line the record starts on, from 1.
        public var line: Int
        public var fields: [String]
    }

    public enum Malformed: Error, Equatable {
        case unterminatedQuote(line: Int)
        case textAfterClosingQuote(line: Int)
    }

    public static func records(_ text: String) -> Result<[Record], Malformed> {
        let scalars = Array(text.unicodeScalars)
        var records: [Record] = []
        var index = 0
        var line = 1
        let quote: Unicode.Scalar = "\"", comma: Unicode.Scalar = ",", cr: Unicode.Scalar = "\r", lf: Unicode.Scalar = "\n"

        /// Steps over one line end at `index` (CRLF counts once).
        func lineEnd(_ at: inout Int) -> Bool {
            guard at < scalars.count else { return false }
            if scalars[at] == cr {
                at += 1
                if at < scalars.count && scalars[at] == lf { at += 1 }
                return true
            }
            if scalars[at] == lf {
                at += 1
                return true
            }
            return false
        }

        while index < scalars.count {
            let start = line
            var fields: [String] = []
            recordLoop: while true {
                var field = String.UnicodeScalarView()
                if index < scalars.count && scalars[index] == quote {
                    index += 1
                    while true {
                        guard index < scalars.count else { return .failure(.unterminatedQuote(line: start)) }
                        let scalar = scalars[index]
                        if scalar == quote {
                            if index + 1 < scalars.count && scalars[index + 1] == quote {
                                field.append(quote)
                                index += 2
                                continue
                            }
                            index += 1
                            break
                        }
                        if scalar == cr || scalar == lf {
                            _ = lineEnd(&index)
                            line += 1
                            field.append(contentsOf: scalar == cr && index > 0 && scalars[index - 1] == lf
                                ? [cr, lf] : [scalar])
                            continue
                        }
                        field.append(scalar)
                        index += 1
                    }
                    fields.append(String(field))
                    if index == scalars.count { break recordLoop }
                    if scalars[index] == comma {
                        index += 1
                        continue recordLoop
                    }
                    if lineEnd(&index) {
                        line += 1
                        break recordLoop
                    }
                    return .failure(.textAfterClosingQuote(line: line))
                }
                while index < scalars.count && scalars[index] != comma && scalars[index] != cr && scalars[index] != lf {
                    field.append(scalars[index])
                    index += 1
                }
                fields.append(String(field))
                if index == scalars.count { break recordLoop }
                if scalars[index] == comma {
                    index += 1
                    continue recordLoop
                }
                _ = lineEnd(&index)
                line += 1
                break recordLoop
            }
            records.append(Record(line: start, fields: fields))
        }
        return .success(records)
    }

    /// A field as RFC 4180 writes it: quoted when it holds a comma, a quote or a line end.
    public static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { out += "\"\"" } else { out.unicodeScalars.append(scalar) }
        }
        return out + "\""
    }
}
