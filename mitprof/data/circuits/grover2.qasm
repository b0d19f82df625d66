// observable: -0.5*ZI+0.5*IZ
// 2-qubit Grover, one iteration, marked state q[0]=1, q[1]=0 (found with certainty); ideal value +1.
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
h q[0];
h q[1];
// oracle: phase -1 on q[0]=1, q[1]=0
x q[1];
cz q[0], q[1];
x q[1];
// diffuser: 2|s><s| - 1
h q[0];
h q[1];
x q[0];
x q[1];
cz q[0], q[1];
x q[0];
x q[1];
h q[0];
h q[1];
