/// The OpenAPI document of the API, docs/openapi.json as it was when the
/// program was built (compiled in, so the program needs no file beside it).
public enum OpenAPIDocument {
    public static let text: String = String(decoding: PackageResources.openapi_json, as: UTF8.self)
}
