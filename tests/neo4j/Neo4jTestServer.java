// A Neo4j 5 Community DBMS for one test session: a fresh store in HOME, configured by CONF (Bolt on a
// loopback port among its settings), stopped when its standard input closes, so it never outlives
// the process that started it. Launched as a single source file, nothing to build:
//     java -cp 'lib/*' Neo4jTestServer.java HOME CONF
import java.nio.file.Path;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Neo4jTestServer {
    public static void main(String[] args) throws Exception {
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(Path.of(args[0]))
                .loadPropertiesFromFile(Path.of(args[1]))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
        System.out.println("READY");
        System.out.flush();
        while (System.in.read() != -1) {
            // the parent closes our stdin when it ends, or when it wants us gone
        }
        System.exit(0);
    }
}
