// observable: 0.33333333333333331*ZZII+0.33333333333333331*IZZI+0.33333333333333331*IIZZ
// 4-qubit GHZ state (same circuit and observable as family ghz, n=4); ideal value +1.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
