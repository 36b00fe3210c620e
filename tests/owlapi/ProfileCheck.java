import java.io.File;
import java.util.ArrayList;
import java.util.List;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLDocumentFormat;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

/**
 * Checks one RDF document against the OWL API's OWL 2 DL profile.
 *
 * <p>Usage: {@code java -cp LIB/*:CLASSES ProfileCheck FILE}. The ontology and the data go in as one
 * merged document: parsed apart, the data's properties would be typed without the ontology's
 * declarations. Each problem is one line, {@code VIOLATION<TAB>kind<TAB>description}: the profile's
 * violations, and each triple the parser could not map to OWL 2 (kind UnparsedTriple), which an OWL
 * tool would drop without a word. Then {@code AXIOMS<TAB>n} and {@code TOTAL<TAB>problems}; the exit
 * status is 0 when there are none, else 1.
 */
public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ProfileCheck FILE");
            System.exit(2);
        }
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        List<String> problems = new ArrayList<>();
        OWLDocumentFormat format = manager.getOntologyFormat(ontology);
        if (format != null) {
            format.getOntologyLoaderMetaData().ifPresent(meta -> meta.getUnparsedTriples().forEach(
                t -> problems.add("VIOLATION\tUnparsedTriple\t" + oneLine(t.toString()))));
        }
        for (OWLProfileViolation v : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            problems.add("VIOLATION\t" + v.getClass().getSimpleName() + "\t" + oneLine(v.toString()));
        }
        problems.forEach(System.out::println);
        System.out.println("AXIOMS\t" + ontology.getAxiomCount());
        System.out.println("TOTAL\t" + problems.size());
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    private static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\t', ' ');
    }
}
