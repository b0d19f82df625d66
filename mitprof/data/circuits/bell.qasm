// observable: 0.5*ZZ+0.5*XX
// Bell state (|00> + |11>)/sqrt(2); ZZ and XX are stabilisers, so the ideal value is +1.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
h q[0];
cx q[0], q[1];
