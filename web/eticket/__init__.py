"""The e-ticket page behind the QR code on a paper ticket, and the public information board."""
