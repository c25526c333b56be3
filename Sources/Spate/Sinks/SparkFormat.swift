/// Renders records as Spark prints them: tuples as `(a,b)`, optionals as `Some(x)` / `None`,
/// sequences as `[a, b]`, everything else by its description.
enum SparkFormat {
    static func render(_ value: Any) -> String {
        if let s = value as? String { return s }
        if let s = value as? Substring { return String(s) }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .tuple:
            return "(" + mirror.children.map { render($0.value) }.joined(separator: ",") + ")"
        case .optional:
            guard let child = mirror.children.first else { return "None" }
            return "Some(\(render(child.value)))"
        case .collection, .set:
            return "[" + mirror.children.map { render($0.value) }.joined(separator: ", ") + "]"
        default:
            return String(describing: value)
        }
    }
}
