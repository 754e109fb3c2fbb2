package dify.reconciler.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package graph of the product (what each package's compiled classes refer to, read from their constant pools,
 * so fully qualified names count as well as imports) has no cycle, and no package refers to a package of a higher
 * layer. A new package must be placed in {@link #LAYERS}. docs/development.md shows the graph, compared here. No
 * class outside the remedy registry and the catalog switches on the finding kind (a remedy says which kinds it acts
 * on; a step that switches on the kind is the shape issue 17 removed).
 */
class PackageGraphTest {

    /**
     * Bottom to top: a package may refer to packages of its own layer or lower ones, never higher. Within a layer
     * the cycle check alone applies.
     */
    static final List<Set<String>> LAYERS = List.of(
            Set.of("catalog", "declaration", "metrics", "actor"),
            Set.of("inventory", "inventory.postgres", "inventory.storage", "inventory.workdir"),
            Set.of("config"),
            Set.of("state"),
            Set.of("report", "detect", "leader", "console"),
            Set.of("run"),
            Set.of("remediate.plan"),
            Set.of("remediate.write"),
            Set.of("remediate.record"),
            Set.of("remediate.guard"),
            Set.of("remediate.objects"),
            Set.of("remediate.rows"),
            Set.of("remediate.planner"),
            Set.of("approval"),
            Set.of("remediate.acting"),
            Set.of("remediate.apply"),
            Set.of("remediate"),
            Set.of("cache", "notify", "observe"),
            Set.of("doctor"),
            Set.of("api", "cli"));

    /**
     * The packages that may map a finding kind by a {@code switch} or its ordinal: the catalog (what a kind is) and the
     * remedy registry (which remedy acts on it).
     */
    static final Set<String> KIND_SWITCH_ALLOWED = Set.of("catalog", "remediate.planner");

    /** javac's helper field for a {@code switch} on a FindingKind (in a synthetic {@code Outer$1} class). */
    static final String KIND_SWITCH_MAP = "$SwitchMap$" + FindingKind.class.getName().replace('.', '$');

    static final String KIND_ORDINAL = FindingKind.class.getName().replace('.', '/') + ".ordinal";

    private static final String ROOT = "dify/reconciler/";
    private static final Pattern REFERENCE = Pattern.compile("dify/reconciler/((?:[a-z0-9_]+/)*)[A-Z]");
    private static final Path DEVELOPMENT_PAGE = Path.of("docs/development.md");
    private static final String GRAPH_INTRODUCTION = "Package -> the packages it refers to (imports and fully qualified names):";

    private static Map<Path, ConstantPool> classes;
    private static Map<String, Set<String>> graph;

    @BeforeAll
    static void readClasses() throws IOException, URISyntaxException {
        Path root = Path.of(FindingKind.class.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve(ROOT);
        classes = constantPools(root);
        graph = graph(classes);
    }

    @Test
    void noPackageCycle() {
        List<List<String>> cycles = stronglyConnected(graph).stream().filter(c -> c.size() > 1).toList();
        assertEquals(List.of(), cycles, "package cycles (each list is packages that reach each other):\n" + render(graph));
    }

    @Test
    void noReferenceUpALayer() {
        Map<String, Integer> layer = new HashMap<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            for (String p : LAYERS.get(i)) {
                layer.put(p, i);
            }
        }
        List<String> unplaced = graph.keySet().stream().filter(p -> !layer.containsKey(p)).toList();
        assertEquals(List.of(), unplaced, "packages not placed in PackageGraphTest.LAYERS");
        List<String> upward = new ArrayList<>();
        graph.forEach((from, tos) -> tos.stream().filter(to -> layer.get(to) > layer.get(from))
                .forEach(to -> upward.add(from + " -> " + to)));
        assertEquals(List.of(), upward, "references from a lower layer to a higher one");
    }

    @Test
    void theGraphIsReadFromTheClasses() {
        // Guards the reader itself: edges the code is known to have, and the inversions that removed two old edges.
        assertTrue(graph.get("leader").contains("actor"), render(graph));
        assertTrue(graph.get("remediate").contains("remediate.acting"), render(graph));
        assertTrue(graph.get("config").contains("inventory.postgres"), render(graph));
        assertTrue(!graph.get("leader").contains("remediate.acting") && !graph.get("inventory.postgres").contains("config"),
                render(graph));
    }

    @Test
    void noSwitchOnTheFindingKindOutsideTheRegistryAndTheCatalog() {
        List<String> offenders = new ArrayList<>();
        classes.forEach((file, pool) -> {
            if (!KIND_SWITCH_ALLOWED.contains(packageOf(file))) {
                if (pool.utf8().contains(KIND_SWITCH_MAP)) {
                    offenders.add(file + ": a switch on FindingKind");
                }
                if (pool.methodsCalled().contains(KIND_ORDINAL)) {
                    offenders.add(file + ": calls FindingKind.ordinal()");
                }
            }
        });
        assertEquals(List.of(), offenders, "classes outside " + KIND_SWITCH_ALLOWED
                + " that map a finding kind by a switch or its ordinal (ask the kind's remedy or the catalog instead)");
    }

    @Test
    void theDocumentedGraphIsTheGraph() throws IOException {
        String page = Files.readString(DEVELOPMENT_PAGE);
        int introduction = page.indexOf(GRAPH_INTRODUCTION);
        assertTrue(introduction >= 0, DEVELOPMENT_PAGE + " lost its line '" + GRAPH_INTRODUCTION + "'");
        int start = page.indexOf("```\n", introduction) + 4;
        int end = page.indexOf("```", start);
        assertTrue(start >= 4 && end > start, DEVELOPMENT_PAGE + ": no ``` block after '" + GRAPH_INTRODUCTION + "'");
        assertEquals(render(graph), page.substring(start, end),
                DEVELOPMENT_PAGE + "'s package graph is not the code's: replace its block with\n```\n" + render(graph) + "```\n");
    }

    /** Each class file under {@code root} (relative to it) and its constant pool. */
    static Map<Path, ConstantPool> constantPools(Path root) throws IOException {
        Map<Path, ConstantPool> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    out.put(root.relativize(f), ConstantPool.read(in));
                }
            }
        }
        return out;
    }

    /** A class file's package relative to dify.reconciler, dotted. */
    static String packageOf(Path relativeClassFile) {
        Path parent = relativeClassFile.getParent();
        return parent == null ? "" : parent.toString().replace(relativeClassFile.getFileSystem().getSeparator(), ".");
    }

    /** Package (relative to dify.reconciler, dotted) to the packages its classes refer to. */
    static Map<String, Set<String>> graph(Map<Path, ConstantPool> classes) {
        Map<String, Set<String>> g = new TreeMap<>();
        classes.forEach((file, pool) -> {
            String from = packageOf(file);
            Set<String> to = g.computeIfAbsent(from, k -> new TreeSet<>());
            for (String text : pool.utf8()) {
                Matcher m = REFERENCE.matcher(text);
                while (m.find()) {
                    String p = m.group(1).isEmpty() ? "" : m.group(1).substring(0, m.group(1).length() - 1).replace('/', '.');
                    if (!p.equals(from) && !p.isEmpty()) {
                        to.add(p);
                    }
                }
            }
        });
        return g;
    }

    /**
     * What a class file's constant pool holds that these checks read: its UTF-8 entries (class names, descriptors,
     * signatures, field names among them) and the methods it calls, as {@code owner/Class.name}.
     */
    record ConstantPool(List<String> utf8, Set<String> methodsCalled) {

        static ConstantPool read(InputStream raw) throws IOException {
            DataInputStream in = new DataInputStream(raw);
            if (in.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file");
            }
            in.readUnsignedShort();
            in.readUnsignedShort();
            int count = in.readUnsignedShort();
            String[] text = new String[count];
            int[] tags = new int[count];
            int[] first = new int[count];
            int[] second = new int[count];
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                tags[i] = tag;
                switch (tag) {
                    case 1 -> text[i] = in.readUTF();
                    case 9, 10, 11, 12 -> { // field, method, interface method refs: class, name-and-type; name-and-type
                        first[i] = in.readUnsignedShort();
                        second[i] = in.readUnsignedShort();
                    }
                    case 7 -> first[i] = in.readUnsignedShort(); // a class: its name
                    case 3, 4, 17, 18 -> in.skipNBytes(4);
                    case 5, 6 -> {
                        in.skipNBytes(8);
                        i++;
                    }
                    case 8, 16, 19, 20 -> in.skipNBytes(2);
                    case 15 -> in.skipNBytes(3);
                    default -> throw new IOException("unknown constant pool tag " + tag);
                }
            }
            List<String> utf8 = new ArrayList<>();
            Set<String> called = new TreeSet<>();
            for (int i = 1; i < count; i++) {
                if (tags[i] == 1) {
                    utf8.add(text[i]);
                } else if (tags[i] == 10 || tags[i] == 11) {
                    called.add(text[first[first[i]]] + "." + text[first[second[i]]]);
                }
            }
            return new ConstantPool(utf8, called);
        }
    }

    /** Tarjan's strongly connected components, each sorted. */
    static List<List<String>> stronglyConnected(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] next = {0};
        for (String v : g.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, g, index, low, stack, onStack, out, next);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
            Deque<String> stack, Set<String> onStack, List<List<String>> out, int[] next) {
        index.put(v, next[0]);
        low.put(v, next[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, out, next);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            component.sort(null);
            out.add(component);
        }
    }

    static String render(Map<String, Set<String>> g) {
        StringBuilder b = new StringBuilder();
        g.forEach((from, to) -> b.append(from).append(" -> ").append(String.join(" ", to)).append('\n'));
        return b.toString();
    }
}
