/*
 * Minimal foreground launcher for a local, single-node OpenSearch 3.x assembled from Maven Central.
 * Compiled with --release 21 (3.x jars are Java 21 class files); the code is the same as for 2.x.
 *
 * It does what org.opensearch.bootstrap.OpenSearch does, minus the parts that need a full
 * distribution (3.x: the opensearch-agent java agent that replaced the security manager, and its
 * policy files; keystore, bootstrap checks, natives):
 *   - settings come from -Ekey=value arguments (same syntax as bin/opensearch); -Pkey=value arguments
 *     are applied as persistent cluster settings right after start,
 *   - path.home/path.conf come from -Dopensearch.path.home / -Dopensearch.path.conf,
 *   - logging is configured from <path.conf>/log4j2.properties,
 *   - plugins are loaded by the stock PluginsService from <path.home>/modules and
 *     <path.home>/plugins (one class loader per bundle, extended.plugins + jar-hell checks apply),
 *   - SIGTERM/SIGINT close the node gracefully (JVM shutdown hook), like the real distribution.
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collections;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.config.Configurator;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;

public final class Launcher {

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        final String home = System.getProperty("opensearch.path.home");
        final String conf = System.getProperty("opensearch.path.conf");
        if (home == null || conf == null) {
            System.err.println("Launcher: -Dopensearch.path.home and -Dopensearch.path.conf are required");
            System.exit(64);
        }

        final Settings.Builder builder = Settings.builder().put("path.home", home).put("node.name", "node-1");
        final Settings.Builder persistent = Settings.builder();
        for (String arg : args) {
            if (!(arg.startsWith("-E") || arg.startsWith("-P")) || arg.indexOf('=') < 0) {
                System.err.println("Launcher: unsupported argument [" + arg + "], expected -Ekey=value or -Pkey=value");
                System.exit(64);
            }
            final String kv = arg.substring(2);
            final int eq = kv.indexOf('=');
            (arg.startsWith("-E") ? builder : persistent).put(kv.substring(0, eq), kv.substring(eq + 1));
        }

        final Path confPath = Paths.get(conf).toAbsolutePath().normalize();
        if (!Files.isRegularFile(confPath.resolve("log4j2.properties"))) {
            System.err.println("Launcher: missing " + confPath.resolve("log4j2.properties"));
            System.exit(78);
        }

        LogConfigurator.registerErrorListener();
        final Environment environment =
            InternalSettingsPreparer.prepareEnvironment(builder.build(), Collections.emptyMap(), confPath, () -> "node-1");
        // the %node_name log pattern needs the name before logging is configured
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        LogConfigurator.configure(environment);
        final Logger logger = LogManager.getLogger(Launcher.class);
        installUncaughtExceptionHandler();

        final CountDownLatch stopped = new CountDownLatch(1);
        final Node node;
        try {
            node = new Node(environment);
        } catch (Throwable t) {
            logger.error("failed to create node", t);
            Configurator.shutdown((org.apache.logging.log4j.core.LoggerContext) LogManager.getContext(false));
            System.exit(1);
            return;
        }

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                logger.info("shutdown signal received, closing node");
                node.close();
                if (!node.awaitClose(30, TimeUnit.SECONDS)) {
                    logger.warn("node did not close within 30s");
                }
                logger.info("node closed cleanly");
            } catch (Throwable t) {
                logger.error("failed to close node", t);
            } finally {
                stopped.countDown();
                Configurator.shutdown((org.apache.logging.log4j.core.LoggerContext) LogManager.getContext(false));
            }
        }, "opensearch-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            logger.error("failed to start node", t);
            System.exit(1);
            return;
        }
        // -Pkey=value: persistent cluster settings applied once the node is up. Needed for settings
        // that are only read from cluster metadata, e.g. cluster.default_number_of_replicas.
        final Settings persistentSettings = persistent.build();
        if (!persistentSettings.isEmpty()) {
            try {
                node.client().admin().cluster().prepareUpdateSettings().setPersistentSettings(persistentSettings)
                    .get(TimeValue.timeValueSeconds(60));
                logger.info("launcher: applied persistent cluster settings {}", persistentSettings.keySet());
            } catch (Exception e) {
                logger.error("launcher: failed to apply persistent cluster settings " + persistentSettings.keySet(), e);
            }
        }
        logger.info("launcher: node started (http.port={}, transport.port={})",
            environment.settings().get("http.port"), environment.settings().get("transport.port"));

        // Keep a non-daemon thread alive until shutdown (the node's own threads are daemons).
        stopped.await();
    }

    /**
     * Like OpenSearchUncaughtExceptionHandler: VM errors (OOM, StackOverflow, InternalError) halt the
     * JVM. Other uncaught throwables are logged (not printed raw to stderr) and the node keeps running.
     * The k-NN zip on Maven Central has no native faiss/nmslib libraries, so a field using those
     * engines throws UnsatisfiedLinkError/NoClassDefFoundError on a write thread: log a clear hint.
     */
    private static void installUncaughtExceptionHandler() {
        final Logger logger = LogManager.getLogger("Launcher.uncaught");
        Thread.setDefaultUncaughtExceptionHandler((thread, t) -> {
            if (t instanceof VirtualMachineError) {
                try {
                    logger.fatal("fatal error in thread [" + thread.getName() + "], exiting", t);
                } finally {
                    Runtime.getRuntime().halt(1);
                }
            }
            final String msg = String.valueOf(t.getMessage());
            if (t instanceof LinkageError && (msg.contains("opensearchknn") || msg.contains("org.opensearch.knn.jni"))) {
                logger.error("k-NN native engines (faiss/nmslib) are NOT available in this build (no JNI libs on Maven Central): "
                    + "use \"engine\": \"lucene\" in knn_vector mappings. Thread [" + thread.getName() + "] died", t);
            } else {
                logger.error("uncaught exception in thread [" + thread.getName() + "]", t);
            }
        });
    }
}
