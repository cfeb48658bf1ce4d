// Anchor deploy hook. Nothing to migrate until the portfolio-margin program exists (issue 3).
module.exports = async function (_provider: unknown) {};
