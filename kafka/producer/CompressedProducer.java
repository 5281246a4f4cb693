// A Java producer for release-health's tests (test/helpers/kafka-java-producer.ts): the
// official Kafka client, so that record batches compressed with snappy, lz4 or zstd come out
// exactly as Java services and Kafka tools write them. Run as a single source file:
//   java -cp '<kafka jars>/*' CompressedProducer.java <bootstrap> <topic> <compression> <file>
// It sends each line of <file> as one message value, in batches of many messages (so that
// compression applies to whole batches), and exits 0 once the broker acknowledged them all.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class CompressedProducer {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: CompressedProducer <bootstrap> <topic> <compression> <file>");
      System.exit(2);
    }
    List<String> lines = Files.readAllLines(Path.of(args[3]), StandardCharsets.UTF_8);
    Properties settings = new Properties();
    settings.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    settings.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, args[2]);
    settings.put(ProducerConfig.ACKS_CONFIG, "all");
    settings.put(ProducerConfig.LINGER_MS_CONFIG, "100");
    settings.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
    settings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    settings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    final Exception[] failure = {null};
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(settings)) {
      for (String line : lines) {
        if (line.isEmpty()) continue;
        producer.send(
            new ProducerRecord<>(args[1], line),
            (metadata, error) -> {
              if (error != null) failure[0] = error;
            });
      }
      producer.flush();
    }
    if (failure[0] != null) {
      System.err.println("sending failed: " + failure[0]);
      System.exit(1);
    }
  }
}
