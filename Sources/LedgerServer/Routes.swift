/// One endpoint of the API: its method and path template (`{name}` is one
/// path segment). ``Routes/all`` is the list the OpenAPI document must
/// describe, no more and no less (a test compares them).
public struct Route: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        case head, events, event, balances, audit, explain, warnings, performance, verify, openAPI, append, subscribe
    }

    public let method: String
    public let path: String
    public let endpoint: Endpoint

    /// The path's segments, `{name}` for a parameter.
    var segments: [Substring] { path.split(separator: "/") }
}

public enum Routes {
    public static let all: [Route] = [
        Route(method: "GET", path: "/v1/head", endpoint: .head),
        Route(method: "GET", path: "/v1/events", endpoint: .events),
        Route(method: "POST", path: "/v1/events", endpoint: .append),
        Route(method: "GET", path: "/v1/events/{id}", endpoint: .event),
        Route(method: "GET", path: "/v1/balances", endpoint: .balances),
        Route(method: "GET", path: "/v1/audit", endpoint: .audit),
        Route(method: "GET", path: "/v1/audit/explain/{eventId}", endpoint: .explain),
        Route(method: "GET", path: "/v1/warnings", endpoint: .warnings),
        Route(method: "GET", path: "/v1/reports/performance", endpoint: .performance),
        Route(method: "GET", path: "/v1/verify", endpoint: .verify),
        Route(method: "GET", path: "/v1/openapi.json", endpoint: .openAPI),
        Route(method: "GET", path: "/v1/subscribe", endpoint: .subscribe),
    ]

    /// The routes whose template matches `path`, with the values of their
    /// parameters (percent-decoded). Empty when no template matches.
    static func matching(path: String) -> [(route: Route, parameters: [String: String])] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        var found: [(Route, [String: String])] = []
        for route in all {
            let template = route.segments
            guard template.count == parts.count else { continue }
            var parameters: [String: String] = [:]
            var matches = true
            for (pattern, part) in zip(template, parts) {
                if pattern.hasPrefix("{") && pattern.hasSuffix("}") {
                    guard !part.isEmpty, let value = String(part).removingPercentEncoding else {
                        matches = false
                        break
                    }
                    parameters[String(pattern.dropFirst().dropLast())] = value
                } else if pattern != part {
                    matches = false
                    break
                }
            }
            if matches { found.append((route, parameters)) }
        }
        return found
    }
}

import Foundation
