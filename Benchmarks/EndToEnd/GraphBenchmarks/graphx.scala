// GraphX on the benchmark's R-MAT edges, for the side-by-side figures of GraphBenchmarks:
//   swift run -c release GraphBenchmarks --write-edges /tmp/rmat17.txt
//   EDGES=/tmp/rmat17.txt spark-shell --master 'local[2]' --driver-memory 4g -i graphx.scala
// (spark-shell ships in the pyspark wheel: pip install pyspark; Java 17.) Times are after loading: the graph
// is cached and counted first; each figure is the best of three runs.
import org.apache.spark.graphx._
val graph = GraphLoader.edgeListFile(sc, sys.env("EDGES")).cache()
println(s"GRAPHX loaded ${graph.vertices.count()} vertices, ${graph.edges.count()} edges")
def seconds[A](body: => A): Double = { val t = System.nanoTime; body; (System.nanoTime - t) / 1e9 }
val pageRank = (1 to 3).map(_ => seconds(graph.staticPageRank(10).vertices.count())).min
val components = (1 to 3).map(_ => seconds(graph.connectedComponents().vertices.count())).min
println(f"GRAPHX staticPageRank(10): $pageRank%.2f s, connectedComponents(): $components%.2f s")
System.exit(0)
