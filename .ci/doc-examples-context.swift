// The reader's own code that doc-comment examples call, declared once for
// .ci/check-doc-examples.sh so an example shows only the library's part.
import Foundation

func runJob() async throws {}
func runBatch() throws {}
